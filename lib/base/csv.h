// CSV output for data files. Rows are built in memory and handed to the OS whole, in writes that
// each stay within one page of the file (a row across a page boundary goes alone), so a killed
// process leaves only complete rows (the caller decides when to flush: RunLogger gathers the
// rows of several steps, see lib/run/run_log.h). Numbers are written in the
// shortest form that reads back to the same value; non-finite values as nan, inf and -inf, which
// pandas, R and gnuplot read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace nnlab {

// A CSV field: as is when plain, else double-quoted with quotes doubled (RFC 4180).
std::string csv_quote(std::string_view text);

// Appends x in shortest round-trip form (float keeps float's shortest form: 0.1f -> "0.1").
void append_number(std::string& out, double x);
void append_number(std::string& out, float x);

// A write(2) cut short by `kill -9` stops at a page boundary of the file: the kernel copies page
// by page (or by larger aligned folios) and looks for a fatal signal before each. So rows are
// written in pieces that each stay within one page, except that a row crossing a boundary goes
// alone: only such a row can be cut, and only while the kernel copies it (as when every step had
// a write of its own). write_piece: the length of the piece of `rows` (whole rows, each ending
// in '\n') to write next at file offset `offset`.
inline constexpr std::size_t kFilePage = 4096;
std::size_t write_piece(std::string_view rows, std::uint64_t offset);

class CsvWriter {
 public:
  // Creates (truncates) the file and writes the header line. Throws IoError.
  CsvWriter(const std::filesystem::path& path, std::string_view header);
  // Continues an existing file (a resumed run): keeps its first `keep_bytes` bytes, dropping any
  // rows written after them, and appends. Throws IoError when the file is shorter than that.
  CsvWriter(const std::filesystem::path& path, std::uint64_t keep_bytes);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  CsvWriter& field(double x);
  CsvWriter& field(float x);
  CsvWriter& field(long long x);
  CsvWriter& field(int x) { return field(static_cast<long long>(x)); }
  CsvWriter& field(std::string_view text);  // written as is: callers pass plain tokens
  CsvWriter& empty();                        // an empty (missing) value
  void end_row();
  // Writes every completed row (a write(2) per page of the file). Throws IoError; a failed write (a full disk)
  // first cuts the file back to its last whole row, and every later flush throws.
  void flush();
  // Bytes in the file so far (after flush(): every completed row).
  std::uint64_t bytes() const { return bytes_; }
  // Bytes of completed rows not yet handed to the OS.
  std::size_t pending() const { return complete_; }

 private:
  // Room for `room` characters after the separator: returns where the field's text goes.
  char* start_field(std::size_t room);
  void end_field(const char* end);  // the field's text ends at `end`
  void roll_back(std::size_t written);
  bool failed_ = false;  // a write failed: the file was cut to its last whole row
  std::filesystem::path path_;
  int fd_ = -1;
  // Text is written in place into buffer_, whose size is its room (it grows only for rows longer
  // than RunLogger's 64 KiB between flushes): used_ bytes hold rows, the first complete_ of
  // them complete rows.
  std::string buffer_;
  std::size_t used_ = 0;
  std::size_t complete_ = 0;
  bool row_started_ = false;
  std::uint64_t bytes_ = 0;
};

}  // namespace nnlab
