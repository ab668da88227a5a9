// Timed C-simulation: what one kernel call and one image cost, and their JSON text
// ("ubimoe-cycles/1"). csim-only (std containers); included by ubimoe_csim/timing.h.
// See hls/csim/README.md, "Timed C-simulation".
#ifndef UBIMOE_CSIM_TIMING_REPORT_H
#define UBIMOE_CSIM_TIMING_REPORT_H

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace ubimoe_csim {
namespace timing {

typedef std::uint64_t cycles_t;

// One dataflow process (by name) of one region (by name), summed over the region's calls
// within one kernel call. busy: the process's own cycles (its clock); stall: its resolved end
// minus busy (waiting for input at the start, on empty FIFOs and on full FIFOs).
struct process_stats {
  std::string name;
  std::uint64_t calls = 0;
  cycles_t busy = 0;
  cycles_t stall = 0;
};

// One stream (by name) of one region: its depth as simulated, the writes of all calls and the
// largest occupancy reached at the resolved times (at most the depth).
struct stream_stats {
  std::string name;
  std::uint64_t depth = 0;
  std::uint64_t writes = 0;
  std::uint64_t max_occupancy = 0;
};

// A dataflow region (by name) within one kernel call: calls, and the cycles of all its calls.
struct region_stats {
  std::string name;
  std::uint64_t calls = 0;
  cycles_t cycles = 0;
  std::vector<process_stats> processes;
  std::vector<stream_stats> streams;
};

// A UBIMOE_STAGE scope (by name): the clock of the process it sits in, elapsed inside it.
struct stage_stats {
  std::string name;
  std::uint64_t calls = 0;
  cycles_t cycles = 0;
};

// One call of a top kernel (a UBIMOE_KERNEL function).
struct call_report {
  std::string kernel;
  cycles_t cycles = 0;
  std::vector<stage_stats> stages;
  std::vector<region_stats> regions;
};

// One image: its kernel calls back to back, as the host issues them.
struct image_report {
  std::vector<call_report> calls;

  cycles_t total_cycles() const {
    cycles_t t = 0;
    for (const call_report &c : calls) t += c.cycles;
    return t;
  }
  // Cycles per kernel name (its calls summed), in order of first call.
  std::vector<std::pair<std::string, cycles_t> > kernels() const {
    std::vector<std::pair<std::string, cycles_t> > out;
    for (const call_report &c : calls) {
      bool found = false;
      for (auto &k : out)
        if (k.first == c.kernel) {
          k.second += c.cycles;
          found = true;
          break;
        }
      if (!found) out.emplace_back(c.kernel, c.cycles);
    }
    return out;
  }
};

namespace detail {

template <class T>
T &by_name(std::vector<T> &list, const char *name) {
  for (T &x : list)
    if (x.name == name) return x;
  list.emplace_back();
  list.back().name = name;
  return list.back();
}

inline void json_string(std::string &out, const std::string &s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
      out += buf;
    } else {
      out += char(c);
    }
  }
  out += '"';
}

inline void json_uint(std::string &out, std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
  out += buf;
}

}  // namespace detail

// The report as JSON text, format "ubimoe-cycles/1" (hls/csim/README.md describes every field).
inline std::string report_json(const std::vector<image_report> &images, double clock_mhz) {
  using detail::json_string;
  using detail::json_uint;
  std::string o;
  char mhz[40];
  std::snprintf(mhz, sizeof mhz, "%.10g", clock_mhz);
  o += "{\n  \"format\": \"ubimoe-cycles/1\",\n  \"clock_mhz\": ";
  o += mhz;
  o += ",\n  \"per_image\": [";
  for (std::size_t i = 0; i < images.size(); i++) {
    const image_report &img = images[i];
    o += i ? ",\n    {" : "\n    {";
    o += "\"total_cycles\": ";
    json_uint(o, img.total_cycles());
    o += ", \"kernels\": {";
    const auto ks = img.kernels();
    for (std::size_t k = 0; k < ks.size(); k++) {
      if (k) o += ", ";
      json_string(o, ks[k].first);
      o += ": ";
      json_uint(o, ks[k].second);
    }
    o += "},\n     \"calls\": [";
    for (std::size_t c = 0; c < img.calls.size(); c++) {
      const call_report &call = img.calls[c];
      o += c ? ",\n       {" : "\n       {";
      o += "\"kernel\": ";
      json_string(o, call.kernel);
      o += ", \"cycles\": ";
      json_uint(o, call.cycles);
      o += ", \"stages\": [";
      for (std::size_t s = 0; s < call.stages.size(); s++) {
        const stage_stats &st = call.stages[s];
        o += s ? ", {\"name\": " : "{\"name\": ";
        json_string(o, st.name);
        o += ", \"calls\": ";
        json_uint(o, st.calls);
        o += ", \"cycles\": ";
        json_uint(o, st.cycles);
        o += "}";
      }
      o += "], \"regions\": [";
      for (std::size_t r = 0; r < call.regions.size(); r++) {
        const region_stats &rg = call.regions[r];
        o += r ? ",\n         {\"name\": " : "\n         {\"name\": ";
        json_string(o, rg.name);
        o += ", \"calls\": ";
        json_uint(o, rg.calls);
        o += ", \"cycles\": ";
        json_uint(o, rg.cycles);
        o += ",\n          \"processes\": [";
        for (std::size_t p = 0; p < rg.processes.size(); p++) {
          const process_stats &ps = rg.processes[p];
          o += p ? ", {\"name\": " : "{\"name\": ";
          json_string(o, ps.name);
          o += ", \"calls\": ";
          json_uint(o, ps.calls);
          o += ", \"busy\": ";
          json_uint(o, ps.busy);
          o += ", \"stall\": ";
          json_uint(o, ps.stall);
          o += "}";
        }
        o += "],\n          \"streams\": [";
        for (std::size_t s = 0; s < rg.streams.size(); s++) {
          const stream_stats &ss = rg.streams[s];
          o += s ? ", {\"name\": " : "{\"name\": ";
          json_string(o, ss.name);
          o += ", \"depth\": ";
          json_uint(o, ss.depth);
          o += ", \"writes\": ";
          json_uint(o, ss.writes);
          o += ", \"max_occupancy\": ";
          json_uint(o, ss.max_occupancy);
          o += "}";
        }
        o += "]}";
      }
      o += call.regions.empty() ? "]}" : "\n       ]}";
    }
    o += img.calls.empty() ? "]}" : "\n     ]}";
  }
  o += images.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return o;
}

}  // namespace timing
}  // namespace ubimoe_csim

#endif
