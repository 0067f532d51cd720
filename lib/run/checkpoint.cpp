// Checkpoint files: a flat binary record with a trailing hash (see checkpoint.h).
#include "run/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/errors.h"
#include "base/files.h"
#include "base/hash.h"
#include "run/run_dir.h"

namespace nnlab {

namespace {

constexpr std::string_view kMagic = "nnlab-checkpoint 2\n";
constexpr std::string_view kMagicV1 = "nnlab-checkpoint 1\n";

class Writer {
 public:
  Writer() { out_.append(kMagic); }
  template <typename S>
  void scalar(S x) {
    static_assert(std::is_trivially_copyable_v<S>);
    out_.append(reinterpret_cast<const char*>(&x), sizeof x);
  }
  void text(std::string_view s) {
    scalar<std::uint64_t>(s.size());
    out_.append(s);
  }
  template <typename T>
  void matrix(const Mat<T>& m) {
    scalar<std::int64_t>(m.rows());
    scalar<std::int64_t>(m.cols());
    out_.append(reinterpret_cast<const char*>(m.data()),
                static_cast<std::size_t>(m.size()) * sizeof(T));
  }
  template <typename T>
  void matrices(const std::vector<Mat<T>>& ms) {
    scalar<std::uint64_t>(ms.size());
    for (const auto& m : ms) matrix(m);
  }
  std::string finish() {
    scalar<std::uint64_t>(fnv1a(out_));
    return std::move(out_);
  }

 private:
  std::string out_;
};

class Reader {
 public:
  Reader(std::string bytes, const std::filesystem::path& path)
      : bytes_(std::move(bytes)), path_(path) {
    if (bytes_.size() < kMagic.size() + 8) fail("not an nnlab checkpoint (version 1 or 2)");
    if (bytes_.compare(0, kMagicV1.size(), kMagicV1) == 0)
      version_ = 1;
    else if (bytes_.compare(0, kMagic.size(), kMagic) != 0)
      fail("not an nnlab checkpoint (version 1 or 2)");
    std::uint64_t stored = 0;
    std::memcpy(&stored, bytes_.data() + bytes_.size() - 8, 8);
    end_ = bytes_.size() - 8;
    if (fnv1a(std::string_view(bytes_).substr(0, end_)) != stored)
      fail("damaged (its checksum does not match)");
    pos_ = kMagic.size();
  }
  template <typename S>
  S scalar() {
    S x;
    take(&x, sizeof x);
    return x;
  }
  std::string text() {
    const auto n = scalar<std::uint64_t>();
    if (n > end_ - pos_) fail("damaged (a length runs past its end)");
    std::string s(bytes_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  template <typename T>
  Mat<T> matrix() {
    const auto rows = scalar<std::int64_t>(), cols = scalar<std::int64_t>();
    if (rows < 0 || cols < 0 || (rows > 0 && static_cast<std::uint64_t>(cols) >
                                                 (end_ - pos_) / sizeof(T) / static_cast<std::uint64_t>(rows)))
      fail("damaged (a matrix runs past its end)");
    Mat<T> m(rows, cols);
    take(m.data(), static_cast<std::size_t>(m.size()) * sizeof(T));
    return m;
  }
  template <typename T>
  std::vector<Mat<T>> matrices() {
    const auto n = scalar<std::uint64_t>();
    if (n > end_ - pos_) fail("damaged (a count runs past its end)");
    std::vector<Mat<T>> ms;
    for (std::uint64_t i = 0; i < n; ++i) ms.push_back(matrix<T>());
    return ms;
  }
  std::size_t remaining() const { return end_ - pos_; }
  void finish() {
    if (pos_ != end_) fail("damaged (unexpected bytes at its end)");
  }
  int version() const { return version_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw IoError("checkpoint " + path_.string() + ": " + why);
  }

 private:
  void take(void* out, std::size_t n) {
    if (n > end_ - pos_) fail("damaged (truncated)");
    if (n == 0) return;  // an empty matrix's data() may be null: memcpy(nullptr, ., 0) is UB
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
  }
  std::string bytes_;
  std::filesystem::path path_;
  std::size_t pos_ = 0, end_ = 0;
  int version_ = 2;
};

// The whole file, opened without following a symbolic link (a run directory's files are its own).
std::string read_checkpoint_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    throw IoError("cannot read checkpoint " + path.string() + ": " +
                  (errno == ELOOP ? std::string("it is a symbolic link") : std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError("cannot read checkpoint " + path.string() + ": not a regular file");
  }
  std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
  return bytes;
}

void write_eval(Writer& w, const EvalInfo& e) {
  w.scalar<std::int32_t>(e.epoch);
  w.scalar<std::int64_t>(e.step);
  w.scalar<std::uint8_t>(e.classification);
  w.scalar<std::uint8_t>(e.has_test);
  for (double x : {e.train_loss, e.train_accuracy, e.test_loss, e.test_accuracy}) w.scalar(x);
}

EvalInfo read_eval(Reader& r) {
  EvalInfo e;
  e.epoch = r.scalar<std::int32_t>();
  e.step = r.scalar<std::int64_t>();
  e.classification = r.scalar<std::uint8_t>() != 0;
  e.has_test = r.scalar<std::uint8_t>() != 0;
  for (double* x : {&e.train_loss, &e.train_accuracy, &e.test_loss, &e.test_accuracy})
    *x = r.scalar<double>();
  return e;
}

}  // namespace

std::uint64_t config_hash(const Config& config) { return fnv1a(to_json(config).dump()); }

template <typename T>
std::uint64_t data_fingerprint(const Samples<T>& train, const Samples<T>& test) {
  std::uint64_t h = kFnv1aOffset;
  auto add = [&](const void* data, std::size_t n) { h = fnv1a_bytes(data, n, h); };
  for (const Samples<T>* set : {&train, &test})
    for (const auto* mats : {&set->x, &set->y}) {
      const std::uint64_t count = mats->size();
      add(&count, sizeof count);
      for (const Mat<T>& m : *mats) {
        const std::int64_t shape[2] = {m.rows(), m.cols()};
        add(shape, sizeof shape);
        add(m.data(), static_cast<std::size_t>(m.size()) * sizeof(T));
      }
    }
  return h == 0 ? 1 : h;
}

template <typename T>
void check_checkpoint(const Checkpoint<T>& c, Model<T>& model, const Samples<T>& train,
                      const Config& run, const std::filesystem::path& path) {
  const TrainConfig& config = run.train;
  auto fail = [&](const std::string& why) {
    throw IoError("checkpoint " + path.string() + ": damaged or forged (" + why + ")");
  };
  const TrainState<T>& s = c.state;
  const long n = train.size();
  if (n < 1) fail("the run has no training samples");
  // The order must be a permutation of the samples: gather() indexes the data with it.
  if (static_cast<long>(s.order.size()) != n)
    fail("the sample order has " + std::to_string(s.order.size()) + " entries, the training set " +
         std::to_string(n) + " samples");
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  for (const int i : s.order) {
    if (i < 0 || i >= n || seen[static_cast<std::size_t>(i)])
      fail("the sample order is not a permutation of the training samples");
    seen[static_cast<std::size_t>(i)] = 1;
  }
  const long batch = config.batch_size == 0 ? n : std::min<long>(config.batch_size, n);
  const long batches = (n + batch - 1) / batch;
  const std::vector<StepRange> ranges = chunks(train.steps(), config.truncation);
  std::vector<long> updates_before(ranges.size() + 1, 0);  // updating chunks among the first k
  for (std::size_t k = 0; k < ranges.size(); ++k)
    updates_before[k + 1] = updates_before[k] + (chunk_has_target(train.y, ranges[k]) ? 1 : 0);
  const long per_batch = updates_before.back();
  if (s.epoch < 1 || s.epoch > config.epochs + 1)
    fail("epoch " + std::to_string(s.epoch) + " is outside [1, " +
         std::to_string(config.epochs + 1) + "]");
  if (s.batch_start < 0 || s.batch_start > n || (s.batch_start % batch != 0 && s.batch_start != n))
    fail("batch position " + std::to_string(s.batch_start) + " is not the start of a batch");
  if (s.next_chunk < 0 || s.next_chunk >= static_cast<int>(ranges.size()) ||
      (s.next_chunk > 0 && s.batch_start >= n))
    fail("chunk position " + std::to_string(s.next_chunk) + " is outside the batch's " +
         std::to_string(ranges.size()) + " chunks");
  if (s.epoch == config.epochs + 1 && (s.batch_start != 0 || s.next_chunk != 0))
    fail("a finished run's position is inside an epoch");
  // The step count follows from the position: a forged epoch cannot skip or repeat updates.
  const long done_batches = s.batch_start == n ? batches : s.batch_start / batch;
  const long expected = (static_cast<long>(s.epoch) - 1) * batches * per_batch +
                        done_batches * per_batch + updates_before[static_cast<std::size_t>(s.next_chunk)];
  if (s.steps != expected)
    fail(std::to_string(s.steps) + " steps at epoch " + std::to_string(s.epoch) + ", batch position " +
         std::to_string(s.batch_start) + ", chunk " + std::to_string(s.next_chunk) + " (expected " +
         std::to_string(expected) + ")");
  if (s.optimizer.steps != s.steps) fail("the optimizer's step count differs from the run's");
  const auto& params = model.params();
  for (const auto* state : {&s.optimizer.m, &s.optimizer.v}) {
    if (!state->empty() && state->size() != params.size())
      fail("the optimizer state has " + std::to_string(state->size()) + " tensors, the model " +
           std::to_string(params.size()));
    for (std::size_t i = 0; i < state->size(); ++i)
      if ((*state)[i].rows() != params[i].value.rows() || (*state)[i].cols() != params[i].value.cols())
        fail("the optimizer state of " + params[i].name + " has another shape");
  }
  if (s.next_chunk > 0) {
    // The carried state of the batch in progress: the model's own, for that batch's size.
    model.reset_state(static_cast<int>(std::min<long>(batch, n - s.batch_start)));
    const std::vector<Mat<T>> expected_state = model.state();
    bool same = s.hidden.size() == expected_state.size() && !s.hidden.empty();
    for (std::size_t i = 0; same && i < s.hidden.size(); ++i)
      same = s.hidden[i].rows() == expected_state[i].rows() &&
             s.hidden[i].cols() == expected_state[i].cols();
    if (!same) fail("the carried hidden state does not fit the model and batch");
  } else if (!s.hidden.empty()) {
    fail("a hidden state between batches");
  }
  if (s.last_eval.epoch != std::min(s.epoch - 1, config.epochs) || s.last_eval.step < 0 ||
      s.last_eval.step > s.steps)
    fail("the last evaluation (epoch " + std::to_string(s.last_eval.epoch) + ") does not precede epoch " +
         std::to_string(s.epoch));
  if (!std::isfinite(c.elapsed_seconds) || c.elapsed_seconds < 0) fail("the elapsed time");
  // The CSV files it continues: each known, present, at least as long as recorded, and cut at a
  // row's end; checked here so that nothing is truncated or rewritten before a refusal.
  model.reset_state(1);
  const bool recurrent = !model.state().empty();
  std::vector<std::string> needed{kMetricsFile, kGradNormsFile, kActivationsFile, kEvalFile};
  if (recurrent) needed.emplace_back(kTimeGradNormsFile);
  if (run.log.quantiles) needed.emplace_back(kGradQuantilesFile);
  for (const auto& name : needed)
    if (std::none_of(c.files.begin(), c.files.end(), [&](const auto& f) { return f.first == name; }))
      fail("no recorded size for " + name);
  for (const auto& [name, size] : c.files) {
    if (std::find(needed.begin(), needed.end(), name) == needed.end())
      fail("an unknown file \"" + name.substr(0, 40) + "\"");
    if (size == 0) fail(name + ": a recorded size of 0 bytes (no header)");
    // The checkpoint is sound; the log file is not what it was when the checkpoint was taken.
    const std::filesystem::path file = path.parent_path() / name;
    const std::string recorded = std::to_string(size);
    auto log_fail = [&](const std::string& why) {
      throw IoError(file.string() + ": " + why + ": the run cannot be resumed (its rows up to the "
                                                 "checkpoint are gone)");
    };
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
      log_fail((errno == ENOENT ? std::string("missing") : std::string(std::strerror(errno))) +
               ", but the checkpoint records its first " + recorded + " bytes");
    struct stat st {};
    char last = 0;
    const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    const bool long_enough = regular && static_cast<std::uint64_t>(st.st_size) >= size;
    const bool row_end = long_enough &&
                         ::pread(fd, &last, 1, static_cast<off_t>(size - 1)) == 1 && last == '\n';
    ::close(fd);
    if (!regular) log_fail("not a regular file");
    if (!long_enough)
      log_fail(std::to_string(st.st_size) + " bytes, shorter than the " + recorded +
               " the checkpoint records");
    if (!row_end)
      log_fail("changed after the checkpoint (byte " + recorded +
               ", where the checkpoint says a row ends, is not a newline)");
  }
}

template <typename T>
std::vector<std::pair<std::string, Mat<T>>> model_tensors(Model<T>& model) {
  std::vector<std::pair<std::string, Mat<T>>> out;
  for (const auto& p : model.params()) out.emplace_back(p.name, p.value);
  for (const auto& b : model.buffers()) out.emplace_back(b.name, b.value);
  return out;
}

template <typename T>
void load_tensors(Model<T>& model, const std::vector<std::pair<std::string, Mat<T>>>& tensors) {
  std::vector<Mat<T>*> targets;
  std::vector<std::string> names;
  for (auto& p : model.params()) {
    targets.push_back(&p.value);
    names.push_back(p.name);
  }
  for (auto& b : model.buffers()) {
    targets.push_back(&b.value);
    names.push_back(b.name);
  }
  if (tensors.size() != targets.size())
    throw IoError("checkpoint holds " + std::to_string(tensors.size()) + " tensors; the model has " +
                  std::to_string(targets.size()));
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, value] = tensors[i];
    if (name != names[i] || value.rows() != targets[i]->rows() ||
        value.cols() != targets[i]->cols())
      throw IoError("checkpoint tensor " + name + " (" + std::to_string(value.rows()) + "x" +
                    std::to_string(value.cols()) + ") does not match the model's " + names[i]);
    *targets[i] = value;
  }
}

template <typename T>
void save_checkpoint(const std::filesystem::path& path, const Checkpoint<T>& c) {
  Writer w;
  w.scalar<std::uint32_t>(sizeof(T));
  w.scalar(c.config_hash);
  w.scalar(c.data_fingerprint);
  const TrainState<T>& s = c.state;
  w.scalar<std::int64_t>(s.steps);
  w.scalar<std::int32_t>(s.epoch);
  w.scalar<std::int32_t>(s.batch_start);
  w.scalar<std::int32_t>(s.next_chunk);
  w.scalar<std::uint64_t>(s.order.size());
  for (int i : s.order) w.scalar<std::int32_t>(i);
  for (std::uint64_t x : s.shuffle_rng.s) w.scalar(x);
  w.scalar(0.0);  // reserved: the spare normal of the Box-Muller generator of 0.1
  w.scalar<std::uint8_t>(0);
  w.matrices(s.hidden);
  w.scalar<std::int64_t>(s.optimizer.steps);
  w.matrices(s.optimizer.m);
  w.matrices(s.optimizer.v);
  write_eval(w, s.last_eval);
  w.scalar<std::uint64_t>(c.tensors.size());
  for (const auto& [name, value] : c.tensors) {
    w.text(name);
    w.matrix(value);
  }
  w.scalar<std::uint64_t>(c.files.size());
  for (const auto& [name, size] : c.files) {
    w.text(name);
    w.scalar(size);
  }
  w.scalar(c.elapsed_seconds);
  write_file_atomic(path, w.finish());
}

template <typename T>
Checkpoint<T> load_checkpoint(const std::filesystem::path& path) {
  Reader r(read_checkpoint_file(path), path);
  if (r.scalar<std::uint32_t>() != sizeof(T))
    r.fail("written by a run of another dtype");
  Checkpoint<T> c;
  c.config_hash = r.scalar<std::uint64_t>();
  if (r.version() >= 2) c.data_fingerprint = r.scalar<std::uint64_t>();
  TrainState<T>& s = c.state;
  s.steps = static_cast<long>(r.scalar<std::int64_t>());
  s.epoch = r.scalar<std::int32_t>();
  s.batch_start = r.scalar<std::int32_t>();
  s.next_chunk = r.scalar<std::int32_t>();
  const auto n = r.scalar<std::uint64_t>();
  if (n > (1ULL << 31) || n > r.remaining() / sizeof(std::int32_t))
    r.fail("damaged (sample order too long)");
  s.order.resize(static_cast<std::size_t>(n));
  for (int& i : s.order) i = r.scalar<std::int32_t>();
  for (std::uint64_t& x : s.shuffle_rng.s) x = r.scalar<std::uint64_t>();
  r.scalar<double>();  // reserved (see save_checkpoint)
  r.scalar<std::uint8_t>();
  s.hidden = r.matrices<T>();
  s.optimizer.steps = static_cast<long>(r.scalar<std::int64_t>());
  s.optimizer.m = r.matrices<T>();
  s.optimizer.v = r.matrices<T>();
  s.last_eval = read_eval(r);
  const auto tensors = r.scalar<std::uint64_t>();
  for (std::uint64_t i = 0; i < tensors; ++i) {
    std::string name = r.text();
    c.tensors.emplace_back(std::move(name), r.matrix<T>());
  }
  const auto files = r.scalar<std::uint64_t>();
  for (std::uint64_t i = 0; i < files; ++i) {
    std::string name = r.text();
    c.files.emplace_back(std::move(name), r.scalar<std::uint64_t>());
  }
  c.elapsed_seconds = r.scalar<double>();
  r.finish();
  return c;
}

template std::uint64_t data_fingerprint(const Samples<float>&, const Samples<float>&);
template std::uint64_t data_fingerprint(const Samples<double>&, const Samples<double>&);
template void check_checkpoint(const Checkpoint<float>&, Model<float>&, const Samples<float>&,
                               const Config&, const std::filesystem::path&);
template void check_checkpoint(const Checkpoint<double>&, Model<double>&, const Samples<double>&,
                               const Config&, const std::filesystem::path&);
template std::vector<std::pair<std::string, Mat<float>>> model_tensors(Model<float>&);
template std::vector<std::pair<std::string, Mat<double>>> model_tensors(Model<double>&);
template void load_tensors(Model<float>&, const std::vector<std::pair<std::string, Mat<float>>>&);
template void load_tensors(Model<double>&,
                           const std::vector<std::pair<std::string, Mat<double>>>&);
template void save_checkpoint(const std::filesystem::path&, const Checkpoint<float>&);
template void save_checkpoint(const std::filesystem::path&, const Checkpoint<double>&);
template Checkpoint<float> load_checkpoint(const std::filesystem::path&);
template Checkpoint<double> load_checkpoint(const std::filesystem::path&);

}  // namespace nnlab
