// CsvWriter and shortest round-trip number formatting.
#include "base/csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "base/errors.h"

namespace nnlab {

namespace {
// Room for a logger's rows between flushes (RunLogger flushes at 64 KiB), so that the buffer
// never grows inside the step loop.
constexpr std::size_t kReserve = std::size_t{1} << 17;

// The longest number text: a double's shortest form is at most 24 characters, a long long 20.
constexpr std::size_t kNumberRoom = 32;

// Writes x at `out` (kNumberRoom characters of room) and returns the end.
template <typename F>
char* write_float(char* out, F x) {
  if (std::isnan(x)) return std::copy_n("nan", 3, out);
  if (std::isinf(x)) return x > 0 ? std::copy_n("inf", 3, out) : std::copy_n("-inf", 4, out);
  return std::to_chars(out, out + kNumberRoom, x).ptr;
}

constexpr char kTwoDigits[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

char* write_integer(char* out, long long x) {
  if (x >= 0 && x < 10) {  // layer numbers, flags: most integers a logger writes
    *out = static_cast<char>('0' + x);
    return out + 1;
  }
  if (x >= 10 && x < 100) return std::copy_n(kTwoDigits + 2 * x, 2, out);
  return std::to_chars(out, out + kNumberRoom, x).ptr;
}

template <typename F>
void append_float(std::string& out, F x) {
  char buf[kNumberRoom];
  out.append(buf, write_float(buf, x));
}
}  // namespace

void append_number(std::string& out, double x) { append_float(out, x); }
void append_number(std::string& out, float x) { append_float(out, x); }

CsvWriter::CsvWriter(const std::filesystem::path& path, std::string_view header) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw IoError("cannot create " + path.string() + ": " + std::strerror(errno));
  buffer_.resize(std::max(kReserve, header.size() + 1));
  std::copy(header.begin(), header.end(), buffer_.begin());
  buffer_[header.size()] = '\n';
  used_ = complete_ = header.size() + 1;
  flush();
}

CsvWriter::CsvWriter(const std::filesystem::path& path, std::uint64_t keep_bytes) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0) throw IoError("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < keep_bytes) {
    ::close(fd_);
    throw IoError(path.string() + " is shorter than its checkpoint recorded (" +
                  std::to_string(keep_bytes) + " bytes)");
  }
  // The recorded size must end a row (a forged or damaged checkpoint must not tear one).
  char last = '\n';
  if (keep_bytes == 0 ||
      ::pread(fd_, &last, 1, static_cast<off_t>(keep_bytes - 1)) != 1 || last != '\n') {
    ::close(fd_);
    throw IoError(path.string() + ": its checkpoint's recorded size (" + std::to_string(keep_bytes) +
                  " bytes) does not end a row");
  }
  if (::ftruncate(fd_, static_cast<off_t>(keep_bytes)) != 0 ||
      ::lseek(fd_, 0, SEEK_END) < 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    throw IoError("cannot truncate " + path.string() + ": " + reason);
  }
  bytes_ = keep_bytes;
  buffer_.resize(kReserve);
}

void CsvWriter::roll_back(std::size_t written) {
  // A short write (a full disk) can end inside a row: cut the file back to its last whole row
  // and write nothing more. Rows already handed to the OS whole are kept.
  failed_ = true;
  if (written > 0)
    if (const std::size_t newline = std::string_view(buffer_).rfind('\n', written - 1);
        newline != std::string::npos)
      bytes_ += newline + 1;
  [[maybe_unused]] const int ignored = ::ftruncate(fd_, static_cast<off_t>(bytes_));
  used_ = complete_ = 0;
  row_started_ = false;
}

CsvWriter::~CsvWriter() {
  if (failed_) {
    ::close(fd_);
    return;
  }
  try {
    flush();
  } catch (...) {  // a destructor must not throw; the error was reported by the last flush
  }
  if (fd_ >= 0) ::close(fd_);
}

char* CsvWriter::start_field(std::size_t room) {
  if (used_ + room + 1 > buffer_.size())
    buffer_.resize(std::max(2 * buffer_.size(), used_ + room + 1));
  char* out = buffer_.data() + used_;
  if (row_started_) *out++ = ',';
  row_started_ = true;
  return out;
}

void CsvWriter::end_field(const char* end) {
  used_ = static_cast<std::size_t>(end - buffer_.data());
}

CsvWriter& CsvWriter::field(double x) {
  end_field(write_float(start_field(kNumberRoom), x));
  return *this;
}

CsvWriter& CsvWriter::field(float x) {
  end_field(write_float(start_field(kNumberRoom), x));
  return *this;
}

CsvWriter& CsvWriter::field(long long x) {
  end_field(write_integer(start_field(kNumberRoom), x));
  return *this;
}

CsvWriter& CsvWriter::field(std::string_view text) {
  end_field(std::copy(text.begin(), text.end(), start_field(text.size())));
  return *this;
}

CsvWriter& CsvWriter::empty() {
  end_field(start_field(0));
  return *this;
}

void CsvWriter::end_row() {
  if (used_ + 1 > buffer_.size()) buffer_.resize(2 * buffer_.size());
  buffer_[used_++] = '\n';
  complete_ = used_;
  row_started_ = false;
}

std::string csv_quote(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';  // a quote is doubled
    out += c;
  }
  out += '"';
  return out;
}

std::size_t write_piece(std::string_view rows, std::uint64_t offset) {
  const std::size_t room = kFilePage - static_cast<std::size_t>(offset % kFilePage);
  if (rows.size() <= room) return rows.size();
  const std::size_t last = rows.rfind('\n', room - 1);  // the rows that end by the boundary
  if (last != std::string_view::npos) return last + 1;
  const std::size_t across = rows.find('\n', room);     // else the row across it, alone
  return across == std::string_view::npos ? rows.size() : across + 1;
}

void CsvWriter::flush() {
  if (failed_) throw IoError("cannot write " + path_.string() + ": an earlier write failed");
  std::size_t written = 0;
  while (written < complete_) {
    const std::size_t end =
        written + write_piece(std::string_view(buffer_).substr(written, complete_ - written),
                              bytes_ + written);
    while (written < end) {
      const ssize_t n = ::write(fd_, buffer_.data() + written, end - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        const std::string reason = std::strerror(errno);
        roll_back(written);
        throw IoError("cannot write " + path_.string() + ": " + reason);
      }
      written += static_cast<std::size_t>(n);
    }
  }
  bytes_ += complete_;
  std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(complete_),  // a row under way
            buffer_.begin() + static_cast<std::ptrdiff_t>(used_), buffer_.begin());
  used_ -= complete_;
  complete_ = 0;
}

}  // namespace nnlab
