// Checkpoint files: a flat binary record with a trailing hash (see checkpoint.h).
#include "checkpoint.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "errors.h"
#include "files.h"

namespace nnlab {

namespace {

constexpr std::string_view kMagic = "nnlab-checkpoint 1\n";

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

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
    if (bytes_.size() < kMagic.size() + 8 || bytes_.compare(0, kMagic.size(), kMagic) != 0)
      fail("not an nnlab checkpoint (version 1)");
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
};

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
  const TrainState<T>& s = c.state;
  w.scalar<std::int64_t>(s.steps);
  w.scalar<std::int32_t>(s.epoch);
  w.scalar<std::int32_t>(s.batch_start);
  w.scalar<std::int32_t>(s.next_chunk);
  w.scalar<std::uint64_t>(s.order.size());
  for (int i : s.order) w.scalar<std::int32_t>(i);
  for (std::uint64_t x : s.shuffle_rng.s) w.scalar(x);
  w.scalar(s.shuffle_rng.spare_normal);
  w.scalar<std::uint8_t>(s.shuffle_rng.has_spare);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read checkpoint " + path.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  Reader r(bytes.str(), path);
  if (r.scalar<std::uint32_t>() != sizeof(T))
    r.fail("written by a run of another dtype");
  Checkpoint<T> c;
  c.config_hash = r.scalar<std::uint64_t>();
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
  s.shuffle_rng.spare_normal = r.scalar<double>();
  s.shuffle_rng.has_spare = r.scalar<std::uint8_t>() != 0;
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
