// Timed C-simulation engine (csim-only; compiled in only with -DUBIMOE_TIMED_CSIM, through
// hls_stream.h or ubimoe/timing.h). Kernels state their timing with the macros of
// hls/include/ubimoe/timing.h; this file gives every dataflow process and every kernel call a cycle
// clock, logs each stream access with its process's local time, and after each dataflow region
// call resolves the real times as a longest path over the event graph (LightningSim, FCCM 2023):
// program order inside a process, write k -> read k, read k-depth -> write k. A cycle is a
// deadlock, reported as a timing::error naming streams, depths and processes.
// Single-threaded: one kernel call at a time (a call starts and ends on one thread).
// Design, rules and API: hls/csim/README.md, "Timed C-simulation".
#ifndef UBIMOE_CSIM_TIMING_H
#define UBIMOE_CSIM_TIMING_H

#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "timing_report.h"

namespace ubimoe_csim {
namespace timing {

// Every misuse and every deadlock: the message says what and where. The runner catches it,
// prints what() and exits 1.
class error : public std::runtime_error {
 public:
  explicit error(const std::string &what) : std::runtime_error(what) {}
};

// The FIFO timing (set once, e.g. by the runner from the generated cost constants).
struct config {
  unsigned fifo_read_latency = 1;   // element k can be read fifo_read_latency cycles after it was written
  unsigned fifo_write_latency = 1;  // a slot freed by a read can be written fifo_write_latency cycles later
  unsigned default_depth = 2;       // depth of a stream with none declared (Vitis's default)
};

const std::uint32_t kNone = 0xffffffffu;
const unsigned kTimeBits = 48;      // local times of one region call: below 2^48 cycles
const unsigned kMaxStreams = 32767; // streams per region call (15 bits of an event)

struct region;

// A UBIMOE_STAGE scope that ended in a process: its local start/end and how many of the process's
// events came before each, so the resolution can map both to resolved times.
struct stage_mark {
  const char *name;
  cycles_t t0, t1;
  std::uint32_t i0, i1;
};

// A clock: a dataflow process, or a kernel's sequential code. Hot fields first.
struct process {
  cycles_t now = 0;                 // local clock (0 = the start of its region call)
  const void *open_site = nullptr;  // a pipelined loop instance is open: its site
  cycles_t last_issue = 0;          //   its last iteration's issue time
  cycles_t woff = 0;                //   its iteration latency (writes land at issue + LAT)
  bool in_body = false;             // inside a UBIMOE_PIPELINE body
  bool accessed = false;            //   which has accessed a stream
  bool forbidden = false;           // a region's placeholder: no process runs (the dataflow function's body)
  cycles_t inst_start = 0;          // the instance's first issue time (an AXI burst's start)
  cycles_t burst_bytes = 0;         // bytes its iterations moved over m_axi so far
  std::uint32_t id = 0;             // index in its region
  const char *name = "";
  region *owner = nullptr;
  cycles_t end_local = 0;           // its clock when it returned
  std::vector<std::uint64_t> events;  // (local time << 16) | (stream << 1) | is_write, program order
  std::vector<stage_mark> marks;      // its UBIMOE_STAGE scopes, resolved with its region call
};

// One stream as one region call sees it.
struct stream_log {
  const char *name = "";
  std::uint64_t depth = 0;
  std::uint64_t occ0 = 0;  // elements already in the FIFO at the first access (written before the call)
  std::uint32_t writer = kNone, reader = kNone;
};

// A live region call: a kernel's sequential code (one process) or a dataflow region.
struct region {
  const char *name = "";
  std::uint64_t serial = 0;
  process *parent = nullptr;  // the process whose clock waits for it (null: a kernel's top)
  process placeholder;        // current between its processes
  std::vector<process *> procs;
  std::vector<stream_log> streams;
};

// The hot state read by every timed statement: constant-initialised, no guard.
struct hot_state {
  process *cur;          // whose clock runs; null outside any UBIMOE_KERNEL (untimed)
  std::uint64_t serial;  // the innermost live region call
};
inline hot_state hot = {nullptr, 0};

// A stream's binding to the region call that logs its accesses (a member of hls::stream).
struct stream_binding {
  std::uint64_t serial = 0;
  std::uint32_t log = 0;
  std::uint32_t writer = kNone, reader = kNone;
};

struct engine {
  config cfg;
  std::vector<region *> stack;  // live region calls, innermost last
  std::vector<process *> free_procs;
  std::vector<region *> free_regions;
  std::uint64_t next_serial = 1;
  bool in_call = false;
  call_report call;
  std::vector<image_report> images;
  bool image_open = false;
  std::string leftover;  // a stream of the innermost region call went out of scope holding data

  process *new_process(const char *name, region *r) {
    process *p;
    if (free_procs.empty()) {
      p = new process();
    } else {
      p = free_procs.back();
      free_procs.pop_back();
    }
    std::vector<std::uint64_t> keep;
    keep.swap(p->events);
    *p = process();
    keep.clear();
    p->events.swap(keep);
    p->name = name;
    p->owner = r;
    p->id = std::uint32_t(r->procs.size());
    r->procs.push_back(p);
    return p;
  }
  region *push_region(const char *name, process *parent) {
    region *r;
    if (free_regions.empty()) {
      r = new region();
    } else {
      r = free_regions.back();
      free_regions.pop_back();
    }
    r->name = name;
    r->serial = next_serial++;
    r->parent = parent;
    r->placeholder = process();
    r->placeholder.forbidden = true;
    r->placeholder.owner = r;
    r->placeholder.name = name;
    r->procs.clear();
    r->streams.clear();
    stack.push_back(r);
    return r;
  }
  // Frees the innermost region call; the hot state moves to its parent.
  void pop_region() {
    region *r = stack.back();
    stack.pop_back();
    for (process *p : r->procs) {
      if (p->events.capacity() > (std::size_t(1) << 22)) std::vector<std::uint64_t>().swap(p->events);
      free_procs.push_back(p);
    }
    r->procs.clear();
    free_regions.push_back(r);
    hot.cur = r->parent;
    hot.serial = stack.empty() ? 0 : stack.back()->serial;
  }
  // After an exception: drop every live region call and the kernel call in flight.
  void abandon() {
    while (!stack.empty()) pop_region();
    hot.cur = nullptr;
    hot.serial = 0;
    in_call = false;
    leftover.clear();
  }
};

// Never destroyed (streams and kernels may run during static destruction).
inline engine &eng() {
  static engine *e = new engine();
  return *e;
}

inline void close_instance(process *p) {
  p->now = p->last_issue + p->woff;
  p->open_site = nullptr;
  p->woff = 0;
}

[[noreturn, gnu::noinline, gnu::cold]] inline void fail(const std::string &what) { throw error("ubimoe timed csim: " + what); }

inline std::string quoted(const char *s) { return std::string("'") + s + "'"; }

inline std::string where(const process *p) {
  const region *r = p->owner;
  if (r && r->parent == nullptr) return "kernel " + quoted(r->name);
  return "dataflow region " + quoted(r ? r->name : "?");
}

// ---- the statements (called through the macros of ubimoe/timing.h) ----

// UBIMOE_PIPELINE: one iteration of a pipelined loop (RAII over the loop body).
// The first iteration of a loop instance (and every misuse): out of the hot path.
[[gnu::noinline, gnu::cold]] inline cycles_t open_instance(process *p, const void *site) {
  if (p->forbidden)
    fail("a UBIMOE_PIPELINE loop runs directly in " + where(p) +
         " (Vitis makes such a loop a process of its own: move it into a function with UBIMOE_PROCESS)");
  if (p->in_body) fail("UBIMOE_PIPELINE inside the body of another pipelined loop in process " + quoted(p->name));
  if (p->open_site) close_instance(p);
  p->inst_start = p->now;
  p->burst_bytes = 0;
  p->open_site = site;
  return p->now;
}

class iteration {
 public:
  iteration(const void *site, cycles_t ii, cycles_t lat) : p_(hot.cur) {
    process *p = p_;
    if (!p) return;
    // the next iteration of the open instance (a perfect nest's inner loop continues it: flattened)
    const cycles_t t = __builtin_expect(p->open_site == site, 1) ? p->last_issue + ii : open_instance(p, site);
    p->now = t;
    p->woff = lat;
    p->in_body = true;
    p->accessed = false;
  }
  ~iteration() {
    if (p_) {
      p_->in_body = false;
      p_->last_issue = p_->now;
    }
  }
  iteration(const iteration &) = delete;
  iteration &operator=(const iteration &) = delete;

 private:
  process *p_;
};

// UBIMOE_CYCLES: straight-line work of n cycles.
inline void cycles(cycles_t n) {
  process *p = hot.cur;
  if (!p) return;
  if (p->forbidden) fail("UBIMOE_CYCLES directly in " + where(p) + ", outside any UBIMOE_PROCESS");
  if (p->in_body) fail("UBIMOE_CYCLES inside a UBIMOE_PIPELINE body (process " + quoted(p->name) + ")");
  if (p->open_site) close_instance(p);
  p->now += n;
}

// UBIMOE_AXI_BURST: outside a pipelined body, a blocking transfer of latency + ceil(bytes / rate)
// cycles; inside one (before the iteration's stream accesses), this iteration moves `bytes` of a
// burst that starts with the loop instance: it issues no earlier than its data arrive,
// start + latency + ceil(bytes so far / rate) - 1.
inline void axi_burst(cycles_t bytes, cycles_t bytes_per_cycle, cycles_t latency) {
  process *p = hot.cur;
  if (!p) return;
  if (bytes_per_cycle == 0) fail("UBIMOE_AXI_BURST with 0 bytes per cycle in process " + quoted(p->name));
  if (p->forbidden) fail("UBIMOE_AXI_BURST directly in " + where(p) + ", outside any UBIMOE_PROCESS");
  if (p->in_body) {
    if (p->accessed)
      fail("UBIMOE_AXI_BURST after a stream access in the same iteration (process " + quoted(p->name) +
           "): put it right after UBIMOE_PIPELINE");
    p->burst_bytes += bytes;
    const cycles_t beats = (p->burst_bytes + bytes_per_cycle - 1) / bytes_per_cycle;
    const cycles_t ready = p->inst_start + latency + (beats ? beats - 1 : 0);
    if (ready > p->now) p->now = ready;
    return;
  }
  if (p->open_site) close_instance(p);
  p->now += latency + (bytes + bytes_per_cycle - 1) / bytes_per_cycle;
}

// ---- stream accesses (called by hls::stream in timed mode) ----

[[noreturn, gnu::noinline, gnu::cold]] inline void forbidden_access(process *p, const char *stream, bool write) {
  fail(std::string("hls::stream ") + quoted(stream) + (write ? " written" : " read") + " directly in " + where(p) +
       ", outside any UBIMOE_PROCESS (every function called in a dataflow region needs UBIMOE_PROCESS)");
}

inline bool region_live(std::uint64_t serial) {
  for (const region *r : eng().stack)
    if (r->serial == serial) return true;
  return false;
}

// First access of a stream in this region call: a new log.
[[gnu::noinline]] inline void bind(stream_binding &b, const char *name, unsigned long declared_depth, std::size_t occupancy) {
  engine &e = eng();
  region *r = e.stack.back();
  if (b.serial != 0 && region_live(b.serial)) {
    const char *other = "?";
    for (const region *x : e.stack)
      if (x->serial == b.serial) other = x->name;
    fail("hls::stream " + quoted(name) + " is used both in " + quoted(other) + " and in the nested " +
         (r->parent ? "dataflow region " : "kernel ") + quoted(r->name) +
         " while both run (a stream belongs to one region call: pass data across regions in arrays)");
  }
  if (r->streams.size() >= kMaxStreams) fail("more than 32767 streams in one call of " + quoted(r->name));
  b.serial = r->serial;
  b.log = std::uint32_t(r->streams.size());
  b.writer = b.reader = kNone;
  stream_log l;
  l.name = name;
  l.depth = declared_depth ? declared_depth : e.cfg.default_depth;
  l.occ0 = occupancy;
  r->streams.push_back(l);
}

// First write (read) of a bound stream by this process.
[[gnu::noinline]] inline void claim(process *p, stream_binding &b, bool write) {
  region *r = p->owner;
  stream_log &l = r->streams[b.log];
  std::uint32_t &who = write ? b.writer : b.reader;
  if (who != kNone)
    fail("hls::stream " + quoted(l.name) + " is " + (write ? "written" : "read") + " by two processes, " +
         quoted(r->procs[who]->name) + " and " + quoted(p->name) + ", in " + where(p) +
         " (Vitis: one writer and one reader per stream)");
  who = p->id;
  (write ? l.writer : l.reader) = p->id;
}

// One access, at the process's local time (reads at now, writes at now + LAT in a pipelined body).
inline void record(process *p, stream_binding &b, bool write) {
  if (p->open_site && !p->in_body) close_instance(p);
  p->accessed = true;
  if ((write ? b.writer : b.reader) != p->id) claim(p, b, write);
  const cycles_t t = p->now + (write ? p->woff : 0);
  p->events.push_back((t << 16) | (cycles_t(b.log) << 1) | (write ? 1u : 0u));
}

// ---- resolution of a region call ----

struct resolution {
  cycles_t span = 0;
  std::string error;  // empty: resolved
};

namespace detail {

struct stream_state {
  std::vector<std::int64_t> wt, rt;  // resolved times of this call's writes / reads
  std::uint64_t nw = 0, nr = 0, wdone = 0, rdone = 0;
  std::int32_t wait_r = -1, wait_w = -1;  // a process blocked on this stream (reader / writer)
};

struct process_state {
  std::size_t cur = 0;
  std::int64_t rprev = 0, tprev = 0, end = 0;
  bool done = false;
  std::uint32_t stream = 0;  // while blocked: on which stream
  bool write = false;        //   a write (waits for a read) or a read (waits for a write)
  std::int64_t k = 0, need = 0;  // its element, and the element of the other side it waits for
};

inline std::string element_text(std::int64_t k) { return "element " + std::to_string(k); }

inline std::string deadlock_message(const region &r, const std::vector<process_state> &ps,
                                    const std::vector<stream_state> &ss) {
  auto pname = [&](std::uint32_t id) { return id == kNone ? std::string("no process") : quoted(r.procs[id]->name); };
  const engine &e = eng();
  std::string m = "deadlock in " + std::string(r.parent ? "dataflow region " : "kernel ") + quoted(r.name);
  if (r.parent && e.in_call) m += " (kernel " + quoted(e.call.kernel.c_str()) + ")";
  m += r.parent ? ": the hardware would hang here (the C-simulation ran its processes one after another, with "
                  "unbounded FIFOs)."
                : ": the hardware would hang here (its sequential code fills a FIFO before reading it).";
  // The wait-for cycle, from the first blocked process.
  std::vector<std::uint32_t> order;
  std::uint32_t start = kNone;
  for (std::uint32_t i = 0; i < ps.size(); i++)
    if (!ps[i].done) {
      start = i;
      break;
    }
  std::vector<int> seen(ps.size(), -1);
  std::uint32_t at = start;
  while (at != kNone && !ps[at].done && seen[at] < 0) {
    seen[at] = int(order.size());
    order.push_back(at);
    const stream_log &l = r.streams[ps[at].stream];
    at = ps[at].write ? l.reader : l.writer;
  }
  std::vector<std::uint32_t> cycle;
  if (at != kNone && seen[at] >= 0) cycle.assign(order.begin() + seen[at], order.end());
  std::vector<std::uint32_t> listed = cycle.empty() ? order : cycle;
  for (std::uint32_t i = 0; i < ps.size(); i++)
    if (!ps[i].done) {
      bool in = false;
      for (std::uint32_t x : listed) in = in || x == i;
      if (!in) listed.push_back(i);
    }
  std::vector<std::uint32_t> streams_named;
  for (std::uint32_t i : listed) {
    const process_state &p = ps[i];
    const stream_log &l = r.streams[p.stream];
    const stream_state &s = ss[p.stream];
    m += "\n  process " + quoted(r.procs[i]->name) + " waits to " + (p.write ? "write " : "read ") + element_text(p.k) +
         " of stream " + quoted(l.name) + " (depth " + std::to_string(l.depth) + ")";
    if (p.write) {
      m += ": full until " + pname(l.reader) + " reads " + element_text(p.need);
      if (std::uint64_t(p.need) >= s.nr)
        m += ", but " + (l.reader == kNone ? std::string("nothing reads it") : pname(l.reader) + " reads only " +
                                                                                  std::to_string(s.nr) + " elements") +
             " in this call";
    } else {
      m += ": not yet written by " + pname(l.writer);
      if (std::uint64_t(p.need) >= s.nw) m += ", which writes only " + std::to_string(s.nw) + " elements in this call";
    }
    bool have = false;
    for (std::uint32_t x : streams_named) have = have || x == p.stream;
    if (!have) streams_named.push_back(p.stream);
  }
  if (!cycle.empty()) {
    m += "\n  cycle:";
    for (std::uint32_t i : cycle) m += " " + quoted(r.procs[i]->name) + " ->";
    m += " " + quoted(r.procs[cycle[0]]->name);
  }
  m += "\n  streams:";
  for (std::size_t i = 0; i < streams_named.size(); i++) {
    const stream_log &l = r.streams[streams_named[i]];
    m += (i ? ", " : " ") + quoted(l.name) + " (depth " + std::to_string(l.depth) + ")";
  }
  m += "\n  deepen one of these FIFOs or change the order of the accesses";
  return m;
}

}  // namespace detail

// Longest path over the region call's event graph. `out` (may be null) receives the statistics,
// `stages` (may be null) the cycles of the UBIMOE_STAGE scopes that ended in its processes, at the
// resolved times (a stall inside a scope counts in it).
inline resolution resolve(const region &r, const config &cfg, region_stats *out,
                          std::vector<stage_stats> *stages = nullptr) {
  using detail::process_state;
  using detail::stream_state;
  const std::size_t np = r.procs.size(), ns = r.streams.size();
  std::vector<stream_state> ss(ns);
  std::vector<process_state> ps(np);
  for (const process *p : r.procs)
    for (std::uint64_t ev : p->events) {
      stream_state &s = ss[(ev >> 1) & 0x7fff];
      if (ev & 1) s.nw++;
      else s.nr++;
    }
  for (stream_state &s : ss) {
    s.wt.resize(s.nw);
    s.rt.resize(s.nr);
  }
  const std::int64_t lrw = cfg.fifo_read_latency, lwr = cfg.fifo_write_latency;
  // resolved time of each event, kept only for processes with stage scopes to map
  std::vector<std::vector<std::int64_t> > evr(np);
  if (stages)
    for (std::size_t i = 0; i < np; i++)
      if (!r.procs[i]->marks.empty()) evr[i].resize(r.procs[i]->events.size());
  std::vector<std::uint32_t> ready;
  for (std::size_t i = np; i-- > 0;) ready.push_back(std::uint32_t(i));
  while (!ready.empty()) {
    const std::uint32_t id = ready.back();
    ready.pop_back();
    process_state &p = ps[id];
    const std::vector<std::uint64_t> &ev = r.procs[id]->events;
    std::int64_t *const track = evr[id].empty() ? nullptr : evr[id].data();
    bool blocked = false;
    while (p.cur < ev.size()) {
      const std::uint64_t e = ev[p.cur];
      const std::int64_t t = std::int64_t(e >> 16);
      const std::uint32_t si = std::uint32_t((e >> 1) & 0x7fff);
      const stream_log &l = r.streams[si];
      stream_state &s = ss[si];
      std::int64_t at = p.rprev + (t - p.tprev);  // program order
      if (e & 1) {
        const std::uint64_t k = s.wdone;
        // the read that frees this element's slot (before this call: the slot is free)
        const std::int64_t j = std::int64_t(k) - std::int64_t(l.depth) + std::int64_t(l.occ0);
        if (j >= 0) {
          if (std::uint64_t(j) < s.rdone) {
            if (s.rt[j] + lwr > at) at = s.rt[j] + lwr;
          } else {
            p.stream = si, p.write = true, p.k = std::int64_t(k), p.need = j;
            s.wait_w = std::int32_t(id);
            blocked = true;
            break;
          }
        }
        s.wt[k] = at;
        s.wdone++;
        if (s.wait_r >= 0) ready.push_back(std::uint32_t(s.wait_r)), s.wait_r = -1;
      } else {
        const std::uint64_t k = s.rdone;
        const std::int64_t j = std::int64_t(k) - std::int64_t(l.occ0);  // the write of this element
        if (j >= 0) {
          if (std::uint64_t(j) < s.wdone) {
            if (s.wt[j] + lrw > at) at = s.wt[j] + lrw;
          } else {
            p.stream = si, p.write = false, p.k = std::int64_t(k), p.need = j;
            s.wait_r = std::int32_t(id);
            blocked = true;
            break;
          }
        }
        s.rt[k] = at;
        s.rdone++;
        if (s.wait_w >= 0) ready.push_back(std::uint32_t(s.wait_w)), s.wait_w = -1;
      }
      p.rprev = at;
      p.tprev = t;
      if (track) track[p.cur] = at;
      p.cur++;
    }
    if (!blocked) {
      p.done = true;
      p.end = p.rprev + (std::int64_t(r.procs[id]->end_local) - p.tprev);
    }
  }
  resolution res;
  for (const process_state &p : ps)
    if (!p.done) {
      res.error = detail::deadlock_message(r, ps, ss);
      return res;
    }
  std::int64_t span = 0;
  for (const process_state &p : ps)
    if (p.end > span) span = p.end;
  res.span = cycles_t(span);
  if (stages)
    for (std::size_t i = 0; i < np; i++) {
      const process &pr = *r.procs[i];
      // a local time t after the process's first `n` events, resolved (program order)
      auto at = [&](cycles_t t, std::uint32_t n) -> std::int64_t {
        if (n == 0) return std::int64_t(t);
        return evr[i][n - 1] + (std::int64_t(t) - std::int64_t(pr.events[n - 1] >> 16));
      };
      for (const stage_mark &m : pr.marks) {
        const std::int64_t c = at(m.t1, m.i1) - at(m.t0, m.i0);
        stage_stats &st = detail::by_name(*stages, m.name);
        st.calls++;
        st.cycles += c > 0 ? cycles_t(c) : 0;
      }
    }
  if (!out) return res;
  out->calls++;
  out->cycles += res.span;
  for (std::size_t i = 0; i < np; i++) {
    process_stats &st = detail::by_name(out->processes, r.procs[i]->name);
    st.calls++;
    st.busy += r.procs[i]->end_local;
    st.stall += cycles_t(ps[i].end) - r.procs[i]->end_local;
  }
  for (std::size_t i = 0; i < ns; i++) {
    const stream_state &s = ss[i];
    // occupancy at the resolved times (a read and a write in the same cycle: the read first)
    std::uint64_t occ = r.streams[i].occ0, most = occ, a = 0, b = 0;
    while (a < s.nw) {
      if (b < s.nr && s.rt[b] <= s.wt[a]) {
        if (occ) occ--;
        b++;
      } else {
        occ++;
        a++;
        if (occ > most) most = occ;
      }
    }
    stream_stats &st = detail::by_name(out->streams, r.streams[i].name);
    st.depth = r.streams[i].depth;
    st.writes += s.nw;
    if (most > st.max_occupancy) st.max_occupancy = most;
  }
  return res;
}

// Ends a process's clock (closes its open loop instance).
inline void finish(process *p) {
  if (p->open_site) close_instance(p);
  if (p->now >= (cycles_t(1) << kTimeBits))
    fail("process " + quoted(p->name) + " ran past 2^48 cycles in one region call");
  p->end_local = p->now;
}

// ---- the scopes ----

// UBIMOE_KERNEL: a top kernel's call. Its sequential code is a process of its own; its cycles
// (including the regions it calls) are the call's cycles, added to the current image.
class kernel_scope {
 public:
  explicit kernel_scope(const char *name) : active_(hot.cur == nullptr), unwinding_(std::uncaught_exceptions()) {
    if (!active_) return;  // a kernel called from a kernel runs on the caller's clock
    engine &e = eng();
    if (!e.stack.empty()) e.abandon();  // leftovers of an earlier error
    region *r = e.push_region(name, nullptr);
    process *p = e.new_process(name, r);
    e.call = call_report();
    e.call.kernel = name;
    e.in_call = true;
    hot.cur = p;
    hot.serial = r->serial;
  }
  ~kernel_scope() noexcept(false) {
    if (!active_) return;
    engine &e = eng();
    if (std::uncaught_exceptions() > unwinding_ || e.stack.empty()) {
      e.abandon();
      return;
    }
    region *r = e.stack.back();
    finish(r->procs[0]);
    const resolution res = resolve(*r, e.cfg, nullptr, &e.call.stages);
    e.pop_region();
    e.in_call = false;
    if (!res.error.empty()) fail(res.error);
    e.call.cycles = res.span;
    if (!e.image_open) {
      e.images.emplace_back();
      e.image_open = true;
    }
    e.images.back().calls.push_back(std::move(e.call));
    e.call = call_report();
  }
  kernel_scope(const kernel_scope &) = delete;
  kernel_scope &operator=(const kernel_scope &) = delete;

 private:
  bool active_;
  int unwinding_;
};

// UBIMOE_DATAFLOW_REGION: a dataflow function's call. Its processes start together at the
// caller's time; it ends when the last one ends; the caller's clock continues from there.
// An hls::stream of the live region call went out of scope holding `n` elements (hls_stream.h):
// reported when the region call ends, after its deadlock check, which explains more.
inline void note_leftover(const char *stream, unsigned long n) {
  engine &e = eng();
  if (!e.leftover.empty() || e.stack.empty()) return;
  e.leftover = "hls::stream " + quoted(stream) + " holds " + std::to_string(n) +
               " element(s) at the end of a call of dataflow region " + quoted(e.stack.back()->name) +
               " (the hardware would keep them for the region's next call; a producer wrote more than its consumer read)";
}

class region_scope {
 public:
  explicit region_scope(const char *name) : parent_(hot.cur), unwinding_(std::uncaught_exceptions()) {
    if (!parent_) return;
    if (parent_->forbidden)
      fail("dataflow region " + quoted(name) + " called directly in " + where(parent_) +
           ", outside any UBIMOE_PROCESS");
    if (parent_->in_body) fail("dataflow region " + quoted(name) + " inside a UBIMOE_PIPELINE body");
    if (parent_->open_site) close_instance(parent_);
    region *r = eng().push_region(name, parent_);
    hot.cur = &r->placeholder;
    hot.serial = r->serial;
  }
  ~region_scope() noexcept(false) {
    if (!parent_) return;
    engine &e = eng();
    if (std::uncaught_exceptions() > unwinding_) {
      if (!e.stack.empty() && e.stack.back()->parent == parent_) e.pop_region();
      e.leftover.clear();
      return;
    }
    region *r = e.stack.back();
    region_stats *out = e.in_call ? &detail::by_name(e.call.regions, r->name) : nullptr;
    const resolution res = resolve(*r, e.cfg, out, e.in_call ? &e.call.stages : nullptr);
    e.pop_region();  // the parent's clock runs again
    std::string left;
    left.swap(e.leftover);
    if (!res.error.empty()) fail(res.error);  // a deadlock first: it explains what was left
    if (!left.empty()) fail(left);
    parent_->now += res.span;
  }
  region_scope(const region_scope &) = delete;
  region_scope &operator=(const region_scope &) = delete;

 private:
  process *parent_;
  int unwinding_;
};

// UBIMOE_PROCESS: a dataflow process (a function called in a dataflow region's body). Called
// anywhere else (from a process, from sequential code), it does nothing: the function runs on
// its caller's clock.
class process_scope {
 public:
  explicit process_scope(const char *name) : p_(nullptr) {
    process *cur = hot.cur;
    if (!cur || !cur->forbidden) return;
    p_ = eng().new_process(name, cur->owner);
    hot.cur = p_;
  }
  ~process_scope() {
    if (!p_) return;
    if (p_->open_site) close_instance(p_);
    p_->end_local = p_->now;
    if (p_->now >= (cycles_t(1) << kTimeBits)) p_->end_local = (cycles_t(1) << kTimeBits) - 1;
    hot.cur = &p_->owner->placeholder;
  }
  process_scope(const process_scope &) = delete;
  process_scope &operator=(const process_scope &) = delete;

 private:
  process *p_;
};

// UBIMOE_STAGE: the cycles of the enclosing process spent inside the scope, at the resolved times
// (its stalls on FIFOs inside the scope count; a stage around a region call includes the region's
// resolved time), summed per name over the kernel call (for the per-stage table; listed in the
// order the stages first start).
class stage_scope {
 public:
  explicit stage_scope(const char *name)
      : p_(hot.cur), name_(name), start_(0), first_(0), unwinding_(std::uncaught_exceptions()) {
    if (!p_) return;
    if (p_->forbidden) fail("UBIMOE_STAGE " + quoted(name) + " directly in " + where(p_) + ", outside any UBIMOE_PROCESS");
    if (p_->in_body) fail("UBIMOE_STAGE " + quoted(name) + " inside a UBIMOE_PIPELINE body");
    if (p_->open_site) close_instance(p_);
    start_ = p_->now;
    first_ = std::uint32_t(p_->events.size());
    engine &e = eng();
    if (e.in_call) detail::by_name(e.call.stages, name);  // its place in the report
  }
  ~stage_scope() {
    if (!p_ || std::uncaught_exceptions() > unwinding_) return;
    if (p_->open_site) close_instance(p_);
    if (!eng().in_call) return;
    // resolved with the process's region call (resolve)
    p_->marks.push_back(stage_mark{name_, start_, p_->now, first_, std::uint32_t(p_->events.size())});
  }
  stage_scope(const stage_scope &) = delete;
  stage_scope &operator=(const stage_scope &) = delete;

 private:
  process *p_;
  const char *name_;
  cycles_t start_;
  std::uint32_t first_;
  int unwinding_;
};

// ---- the runner's API ----

// FIFO latencies and the default depth (defaults: 1, 1, 2).
inline config &settings() { return eng().cfg; }

// The kernel calls that follow belong to a new image (closes the open one).
inline void begin_image() {
  engine &e = eng();
  e.images.emplace_back();
  e.image_open = true;
}
// Closes the open image; a kernel call outside an image opens a new one.
inline void end_image() { eng().image_open = false; }

inline const std::vector<image_report> &images() { return eng().images; }

// The most recent kernel call (null before the first).
inline const call_report *last_call() {
  const engine &e = eng();
  for (std::size_t i = e.images.size(); i-- > 0;)
    if (!e.images[i].calls.empty()) return &e.images[i].calls.back();
  return nullptr;
}

// Everything recorded so far as JSON text ("ubimoe-cycles/1").
inline std::string to_json(double clock_mhz) { return report_json(eng().images, clock_mhz); }

// Drops the recorded images (settings stay).
inline void clear() {
  engine &e = eng();
  e.images.clear();
  e.image_open = false;
}

// Drops everything in flight (after a timing::error) and the recorded images.
inline void reset() {
  eng().abandon();
  clear();
}

}  // namespace timing
}  // namespace ubimoe_csim

#endif
