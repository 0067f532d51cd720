// Run-directory safety in the library: the run lock, path components, the feasibility estimate
// and check, and a CSV writer after a failed write. End-to-end cases (concurrent processes, a
// full disk, forged checkpoints) are in tests/cli/test_hardening_runs.sh.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "base/csv.h"
#include "base/errors.h"
#include "config/feasibility.h"
#include "base/files.h"
#include "run/run_dir.h"
#include "run/run_lock.h"
#include "test_util.h"

using namespace nnlab;

TEST_CASE("run lock: one holder per directory, named in the refusal") {
  const auto dir = test::fresh_dir("run_lock_" + std::to_string(::getpid()));
  {
    RunLock first(dir);
    CHECK(first.held());
    CHECK(test::slurp(dir / kRunLockFile).starts_with("pid " + std::to_string(::getpid()) + " on host "));
    // flock belongs to the open file: a second open in the same process is a second holder.
    CHECK_THROWS_AS(RunLock{dir}, IoError);
    try {
      RunLock second(dir);
    } catch (const IoError& e) {
      CHECK(std::string(e.what()).find("in use by another nnlab process (pid " +
                                       std::to_string(::getpid())) != std::string::npos);
    }
    SUBCASE("prepare_run_dir waits for no one: refused while held") {
      CHECK_THROWS_AS(prepare_run_dir(dir, /*force=*/true), IoError);
    }
  }
  RunLock again(dir);  // released with its holder
  CHECK(again.held());
  RunLock moved = std::move(again);
  CHECK(moved.held());
  CHECK_FALSE(again.held());
  std::filesystem::remove_all(dir);
}

TEST_CASE("prepare_run_dir: run.lock alone is empty; --force keeps what is not a run file") {
  const auto dir = test::fresh_dir("prepare_" + std::to_string(::getpid()));
  { RunLock lock = prepare_run_dir(dir / "a", false); }
  CHECK(std::filesystem::exists(dir / "a" / kRunLockFile));
  { RunLock lock = prepare_run_dir(dir / "a", false); }  // only run.lock: still empty
  std::ofstream(dir / "a" / "metrics.csv") << "x\n";
  std::ofstream(dir / "a" / "notes.txt") << "mine\n";
  CHECK_THROWS_AS(prepare_run_dir(dir / "a", false), ConfigError);
  { RunLock lock = prepare_run_dir(dir / "a", true); }
  CHECK_FALSE(std::filesystem::exists(dir / "a" / "metrics.csv"));
  CHECK(std::filesystem::exists(dir / "a" / "notes.txt"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("prepare_run_dir and --resume: temporary files a kill -9 left count as absent, and go") {
  namespace fs = std::filesystem;
  const auto dir = test::fresh_dir("left_tmp_" + std::to_string(::getpid()));
  fs::create_directories(dir / "r");
  // A run killed while writing its first config.json: run.lock and a temporary copy only.
  { RunLock lock(dir / "r"); }
  std::ofstream(dir / "r" / "config.json.tmp.node7.4242") << "{\"na";
  std::ofstream(dir / "r" / "summary.json.tmp.node7.4243") << "{";
  {
    RunLock lock = prepare_run_dir(dir / "r", false);  // empty but for them
    CHECK_FALSE(fs::exists(dir / "r" / "config.json.tmp.node7.4242"));
    CHECK_FALSE(fs::exists(dir / "r" / "summary.json.tmp.node7.4243"));
  }
  // What is not a run file's temporary copy is the user's: still refused, never removed.
  std::ofstream(dir / "r" / "notes.tmp.node7.1") << "mine\n";
  CHECK_THROWS_AS(prepare_run_dir(dir / "r", false), ConfigError);
  std::ofstream(dir / "r" / "weights.json.tmp.h.9") << "{";
  remove_left_temporaries(dir / "r");
  CHECK_FALSE(fs::exists(dir / "r" / "weights.json.tmp.h.9"));
  CHECK(fs::exists(dir / "r" / "notes.tmp.node7.1"));
  fs::remove_all(dir);
}

TEST_CASE("path components: names that cannot escape their directory") {
  for (const char* ok : {"run", "depth=4,seed=1", "a.b", "...", "é"}) {
    CAPTURE(ok);
    CHECK_FALSE(path_component_problem(ok));
  }
  for (const char* bad : {"", ".", "..", "a/b", "../x", "/abs", "a\nb", "tab\t", "del\x7f"}) {
    CAPTURE(bad);
    CHECK(path_component_problem(bad));
  }
  CHECK(path_component_problem(std::string(201, 'a')));
  CHECK_FALSE(path_component_problem(std::string(200, 'a')));
  // The config reader uses it for "name".
  CHECK_THROWS_WITH_AS(test::parse({{"name", "../up"}}),
                       "name: must not contain '/' (it names one directory, not a path)",
                       ConfigError);
}

TEST_CASE("feasibility: the estimate and the refusal name the key behind the largest part") {
  const Config small = test::parse({{"data", {{"type", "moons"}, {"train_size", 512}}},
                                    {"model", {{"depth", 2}, {"width", 16}}},
                                    {"train", {{"epochs", 10}, {"batch_size", 32}}}});
  const RunEstimate e = estimate_run(small);
  // 2 -> 16 -> 16 -> 2: 354 parameters, float32, values and gradients.
  CHECK(e.model == 2 * 354 * 4);
  CHECK(e.optimizer == 0);  // sgd
  CHECK(e.steps == doctest::Approx(10 * 16));
  CHECK(e.logs > 10'000);
  CHECK(e.logs < 1'000'000);
  const MachineLimits roomy{1ull << 40, 1ull << 40};
  CHECK_NOTHROW(check_feasible(small, e, roomy));

  auto path_of = [](const Config& c, const RunEstimate& est, const MachineLimits& limits) {
    try {
      check_feasible(c, est, limits);
    } catch (const ConfigError& error) {
      return error.issues().front().path;
    }
    return std::string();
  };
  Config wide = small;
  wide.model.width = {100000};
  wide.model.depth = 100;
  CHECK(path_of(wide, estimate_run(wide), MachineLimits{1ull << 30, 1ull << 40}) == "model.width");
  Config adam = wide;
  adam.train.optimizer = OptimizerKind::adam;
  CHECK(estimate_run(adam).optimizer == 2 * estimate_run(adam).model / 2);
  Config chatty = small;
  chatty.train.epochs = 10'000'000;
  CHECK(path_of(chatty, estimate_run(chatty), MachineLimits{1ull << 40, 1ull << 30}) == "log.every");
  CHECK(path_of(small, e, MachineLimits{1ull << 40, 100}) != "");
  CHECK(human_bytes(1.5e9) == "1.5 GB");
  CHECK(human_bytes(999) == "999 bytes");
}

TEST_CASE("csv writer: after a failed write, nothing more is written") {
  // /dev/full fails every write with ENOSPC.
  CHECK_THROWS_AS(CsvWriter("/dev/full", "a,b"), IoError);
}

TEST_CASE("csv writer: fields written in place, rows longer than its room, a row under way at a flush") {
  const std::filesystem::path dir = test::fresh_dir("csv_fields");
  std::string expected = "a,b,c\n";
  const std::string long_text(300'000, 'y');  // more than the writer's 128 KiB of room
  {
    CsvWriter out(dir / "f.csv", "a,b,c");
    // Integers around the one- and two-digit shortcuts, and far from them.
    for (long long x : {0LL, 9LL, 10LL, 99LL, 100LL, -1LL, -10LL, 123456789012LL,
                        std::numeric_limits<long long>::min()}) {
      out.field(x).field(0.25f).empty().end_row();
      expected += std::to_string(x) + ",0.25,\n";
    }
    out.field(std::string_view(long_text)).field(1.5).end_row();
    expected += long_text + ",1.5\n";
    out.field("half");  // a row under way: not written by a flush, kept for after it
    out.flush();
    std::ifstream mid(dir / "f.csv", std::ios::binary);
    CHECK(std::string((std::istreambuf_iterator<char>(mid)), std::istreambuf_iterator<char>()) ==
          expected);
    out.field(7).end_row();
    expected += "half,7\n";
  }
  std::ifstream in(dir / "f.csv", std::ios::binary);
  CHECK(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()) ==
        expected);
}

TEST_CASE("csv writer: each write stays within a page of the file, but for a row across a boundary") {
  const std::string row(100, 'x');  // 100 bytes and '\n': 101 bytes a row
  std::string rows;
  for (int i = 0; i < 200; ++i) rows += row + "\n";  // 20200 bytes, about five pages
  CHECK(write_piece(std::string_view(rows).substr(0, 303), 0) == 303);  // all within the page
  // From offset 0: the 40 rows that end by byte 4096 (40 * 101 = 4040).
  CHECK(write_piece(rows, 0) == 4040);
  // From 4040: the next row crosses 4096, and goes alone.
  CHECK(write_piece(std::string_view(rows).substr(4040), 4040) == 101);
  // A row ending exactly on the boundary belongs to the piece before it.
  CHECK(write_piece(std::string_view(rows).substr(0, 202), 4096 - 202) == 202);
  // Walking the whole buffer from an odd offset: every piece is whole rows, and either stays
  // within one page or is one row.
  std::uint64_t offset = 1234;
  std::size_t at = 0, pieces = 0;
  while (at < rows.size()) {
    const std::size_t n = write_piece(std::string_view(rows).substr(at), offset);
    REQUIRE(n > 0);
    CHECK(rows[at + n - 1] == '\n');
    const bool one_page = offset / kFilePage == (offset + n - 1) / kFilePage;
    CHECK((one_page || n == row.size() + 1));
    at += n;
    offset += n;
    ++pieces;
  }
  CHECK(at == rows.size());
  CHECK(pieces < 15);  // about two a page, not one a row
  // Written through CsvWriter, the bytes are the same.
  const std::filesystem::path dir = test::fresh_dir("csv_pages");
  {
    CsvWriter out(dir / "a.csv", "h");
    for (int i = 0; i < 200; ++i) out.field(std::string_view(row)).end_row();
    out.flush();
  }
  std::ifstream in(dir / "a.csv", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "h\n" + rows);
}
