// ubimoe's csim-only stand-in for Vitis's hls_stream.h (used only when XILINX_HLS is unset).
// hls::stream<T> is an unbounded FIFO that records its high-water mark. Reading an empty stream aborts
// with the stream's name (in hardware that read would block forever). See hls/csim/README.md.
#ifndef UBIMOE_CSIM_HLS_STREAM_H
#define UBIMOE_CSIM_HLS_STREAM_H

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

// Timed C-simulation (-DUBIMOE_TIMED_CSIM): every read and write is logged with its process's local
// time (ubimoe_csim/timing.h; README.md, "Timed C-simulation"). Without it nothing here changes.
#ifdef UBIMOE_TIMED_CSIM
#include "ubimoe_csim/timing.h"
#endif

// Defined by every ubimoe csim header: code that uses csim-only extras tests it (Vitis lacks them).
#ifndef UBIMOE_CSIM_TYPES
#define UBIMOE_CSIM_TYPES 1
#endif

namespace hls {

namespace csim_detail {

// Per-name FIFO statistics; they outlive the streams so a report at exit covers every stream
// that ever existed. Streams of the same name (one per call of a dataflow function) share a record.
struct stream_stats {
  std::string name;
  unsigned long declared_depth = 0;  // 0: not declared
  unsigned long high_water = 0;      // largest size() seen
  unsigned long long writes = 0;
  unsigned long instances = 0;
};

struct stream_registry {
  std::deque<stream_stats> records;  // deque: pointers to records stay valid as it grows

  stream_stats *lookup(const std::string &name) {
    for (auto &r : records)
      if (r.name == name) return &r;
    records.emplace_back();
    records.back().name = name;
    return &records.back();
  }
};

// Never destroyed, so streams with static storage duration may still report during exit.
inline stream_registry &registry() {
  static stream_registry *r = new stream_registry();
  return *r;
}

}  // namespace csim_detail

// Prints one line per stream name: declared depth ("-" when not declared), high-water mark, total
// writes and number of stream objects that used the name. Returns the number of records printed.
inline int csim_stream_report(std::FILE *out) {
  auto &reg = csim_detail::registry();
  std::fprintf(out, "%-40s %10s %10s %12s %9s\n", "stream", "depth", "max_used", "writes", "instances");
  int n = 0;
  for (const auto &r : reg.records) {
    char depth[24];
    if (r.declared_depth) std::snprintf(depth, sizeof depth, "%lu", r.declared_depth);
    else std::snprintf(depth, sizeof depth, "-");
    std::fprintf(out, "%-40s %10s %10lu %12llu %9lu%s\n", r.name.c_str(), depth, r.high_water, r.writes,
                 r.instances, (r.declared_depth && r.high_water > r.declared_depth) ? "  (exceeds depth)" : "");
    ++n;
  }
  return n;
}

// Print the report to `out` when the program exits normally (return from main or exit()).
// Calling it again only changes the destination; nullptr cancels.
inline void csim_stream_report_at_exit(std::FILE *out) {
  static std::FILE *dest = nullptr;
  static bool registered = false;
  dest = out;
  if (!registered) {
    registered = true;
    std::atexit([] {
      if (dest) csim_stream_report(dest);
    });
  }
}

// Zero the high-water marks and counters (e.g. between independent runs in one process); names and
// declared depths stay, because live streams keep pointing at their records.
inline void csim_stream_reset() {
  for (auto &r : csim_detail::registry().records) {
    r.high_water = 0;
    r.writes = 0;
    r.instances = 0;
  }
}

template <typename T, int DEPTH = 0> class stream {
 public:
  stream() : stats_(attach(unnamed_name())) {}
  explicit stream(const char *name) : stats_(attach(name ? std::string(name) : unnamed_name())) {}
  explicit stream(const std::string &name) : stats_(attach(name)) {}
  stream(const stream &) = delete;
  stream &operator=(const stream &) = delete;
  // A stream that goes out of scope holding data: in hardware the FIFO keeps it for the next call
  // of its dataflow region, where a consumer would read stale elements (Vitis's csim only warns).
  ~stream() {
    if (fifo_.empty()) return;
#ifdef UBIMOE_TIMED_CSIM
    // in a timed region call: reported when the call ends (after its deadlock check)
    if (::ubimoe_csim::timing::hot.cur && timing_.serial == ::ubimoe_csim::timing::hot.serial) {
      ::ubimoe_csim::timing::note_leftover(stats_->name.c_str(), fifo_.size());
      return;
    }
#endif
    std::fprintf(stderr,
                 "ubimoe csim: hls::stream '%s': %u element(s) left when it went out of scope (the hardware "
                 "would keep them for the region's next call; a producer wrote more than its consumer read)\n",
                 stats_->name.c_str(), unsigned(fifo_.size()));
    std::fflush(stderr);
    std::abort();
  }

  // csim-only: record the FIFO depth the hardware will have (what `#pragma HLS stream depth=` says).
  void csim_set_depth(unsigned long depth) { stats_->declared_depth = depth; }
  const char *get_name() const { return stats_->name.c_str(); }

  bool empty() const { return fifo_.empty(); }
  // Full only when a depth was declared; writes beyond it still succeed in csim (see write_nb).
  bool full() const { return depth() != 0 && fifo_.size() >= depth(); }
  unsigned size() const { return unsigned(fifo_.size()); }

  T read() {
    if (fifo_.empty()) {
      std::fprintf(stderr,
                   "ubimoe csim: hls::stream '%s': read from an empty stream (the hardware would block forever; "
                   "a producer wrote too few elements or runs after this consumer)\n",
                   stats_->name.c_str());
      std::fflush(stderr);
      std::abort();
    }
#ifdef UBIMOE_TIMED_CSIM
    timed_access(false);
#endif
    T v = fifo_.front();
    fifo_.pop_front();
    return v;
  }
  void read(T &v) { v = read(); }
  bool read_nb(T &v) {
    if (fifo_.empty()) return false;
    v = read();
    return true;
  }
  void operator>>(T &v) { v = read(); }

  void write(const T &v) {
#ifdef UBIMOE_TIMED_CSIM
    timed_access(true);
#endif
    fifo_.push_back(v);
    ++stats_->writes;
    if (fifo_.size() > stats_->high_water) stats_->high_water = fifo_.size();
  }
  bool write_nb(const T &v) {
    if (full()) return false;
    write(v);
    return true;
  }
  void operator<<(const T &v) { write(v); }

 private:
  std::deque<T> fifo_;
  csim_detail::stream_stats *stats_;
#ifdef UBIMOE_TIMED_CSIM
  ::ubimoe_csim::timing::stream_binding timing_;

  // Logs this access on the running process's clock (nothing outside a UBIMOE_KERNEL call).
  void timed_access(bool write) {
    namespace timing = ::ubimoe_csim::timing;
    timing::process *p = timing::hot.cur;
    if (!p) return;
    if (p->forbidden) timing::forbidden_access(p, stats_->name.c_str(), write);
    if (timing_.serial != timing::hot.serial) timing::bind(timing_, stats_->name.c_str(), depth(), fifo_.size());
    timing::record(p, timing_, write);
  }
#endif

  unsigned long depth() const { return stats_->declared_depth; }
  // All unnamed streams share one record (name your streams to see them apart).
  static std::string unnamed_name() { return "(unnamed)"; }
  static csim_detail::stream_stats *attach(const std::string &name) {
    csim_detail::stream_stats *s = csim_detail::registry().lookup(name);
    ++s->instances;
    if (DEPTH > 0) s->declared_depth = DEPTH;
    return s;
  }
};

}  // namespace hls

// csim-only depth declaration for the FIFO report. Under Vitis this header is not on the include path,
// so code that may also be compiled by Vitis must guard it (see README.md):
//   #ifndef UBIMOE_STREAM_DEPTH
//   #define UBIMOE_STREAM_DEPTH(s, d)
//   #endif
#define UBIMOE_STREAM_DEPTH(s, d) (s).csim_set_depth(d)

#endif
