// ubimoe C-simulation types: how many values saturated, per format (csim-only; Vitis's types lack it).
// A conversion into an ap_fixed/ap_ufixed with a saturating overflow mode whose value is out of the
// type's range clamps it, as on the FPGA, and adds one to that format's count here: a saturated
// activation means the datapath's range is too narrow for this input, and nothing else says so
// (the output only drifts). The runner prints the counts at the end (`csim: saturated ...`).
// Single-threaded, like the rest of the C-simulation.
#ifndef UBIMOE_CSIM_SATURATION_H
#define UBIMOE_CSIM_SATURATION_H

#include <cstdio>
#include <vector>

namespace ubimoe_csim {

struct saturation_count {
  int width;
  int iwidth;
  bool is_signed;
  unsigned long long count;
};

// Formats in the order they first saturated.
inline std::vector<saturation_count> &saturations() {
  static std::vector<saturation_count> counts;
  return counts;
}

// Out of line and cold: only a value that saturates gets here.
[[gnu::noinline, gnu::cold]] inline void note_saturation(int width, int iwidth, bool is_signed) {
  for (saturation_count &c : saturations())
    if (c.width == width && c.iwidth == iwidth && c.is_signed == is_signed) {
      c.count++;
      return;
    }
  saturations().push_back({width, iwidth, is_signed, 1});
}

// The runners' report: a line per format in which values saturated (src/toolchain/saturation.ts parses it).
inline void print_saturations(std::FILE *out) {
  for (const saturation_count &c : saturations())
    std::fprintf(out, "csim: saturated %s<%d,%d>: %llu\n", c.is_signed ? "ap_fixed" : "ap_ufixed", c.width, c.iwidth, c.count);
  std::fflush(out);
}

}  // namespace ubimoe_csim

#endif
