// Drives ubimoe::route (hls/include/ubimoe/gate.h) on token choices read from stdin and prints,
// as JSON, the per-expert counts and the order it lists the active experts in (route.test.ts
// checks that order against the cost model's expertRunOrder). Input: cases of "rows" then rows
// lines of TOP_K expert indices; EOF ends.
#include <cstdio>

#include "ubimoe/gate.h"

typedef ap_ufixed<18, 1> prob_t;

struct route_timing {
  static const unsigned ROUTE_DEPTH = 3;
};

struct route_cfg {
  typedef ::prob_t prob_t;
  typedef route_timing TIMING;
  static const unsigned EXPERTS = 16, TOP_K = 2, MAX_ROWS = 256;
  static const unsigned CLEAR_CYCLES = 16, LIST_CYCLES = 32;
};

int main() {
  static unsigned choice[route_cfg::MAX_ROWS][route_cfg::TOP_K];
  static prob_t choice_p[route_cfg::MAX_ROWS][route_cfg::TOP_K];
  static unsigned queue[route_cfg::EXPERTS][route_cfg::MAX_ROWS];
  static prob_t queue_p[route_cfg::EXPERTS][route_cfg::MAX_ROWS];
  unsigned count[route_cfg::EXPERTS], active[route_cfg::EXPERTS], active_count = 0;
  unsigned rows;
  std::printf("[");
  for (int c = 0; std::scanf("%u", &rows) == 1; c++) {
    for (unsigned t = 0; t < rows; t++)
      for (unsigned k = 0; k < route_cfg::TOP_K; k++) {
        if (std::scanf("%u", &choice[t][k]) != 1) return 2;
        choice_p[t][k] = 0.5;
      }
    ubimoe::route<route_cfg>(choice, choice_p, rows, queue, queue_p, count, active, active_count);
    std::printf("%s{\"counts\":[", c ? "," : "");
    for (unsigned e = 0; e < route_cfg::EXPERTS; e++) std::printf("%s%u", e ? "," : "", count[e]);
    std::printf("],\"order\":[");
    for (unsigned a = 0; a < active_count; a++) std::printf("%s%u", a ? "," : "", active[a]);
    std::printf("]}");
  }
  std::printf("]\n");
  return 0;
}
