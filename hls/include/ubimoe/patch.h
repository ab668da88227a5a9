// ubimoe kernel library: patch embedding input. The image arrives as CHANNELS·HEIGHT rows of
// WIDTH activations (one word-aligned row each, docs/weights.md); each pixel is scattered to
// its patch row and its position in the flattened (c, py, px) patch vector, i.e. the
// Conv2d(P×P, stride P) becomes one linear layer over PATCHES rows.
#ifndef UBIMOE_PATCH_H
#define UBIMOE_PATCH_H

#include "common.h"
#include "timing.h"

namespace ubimoe {

// CFG: word_t act_t; AXI_BITS ACT_BITS ACTS_PER_WORD CHANNELS HEIGHT WIDTH PATCH PATCHES_W
// PATCHES PATCH_INPUTS ROW_WORDS. Timing: the (channel, row, word) nest is one flattened II=1 loop,
// one m_axi burst.
template <class CFG>
void gather_patches(const typename CFG::word_t *pixels, typename CFG::act_t patches[CFG::PATCHES][CFG::PATCH_INPUTS]) {
  typedef typename CFG::TIMING TM;
  const unsigned P = CFG::PATCH;
  UBIMOE_CYCLES(0);
pixel_rows:
  for (unsigned c = 0; c < CFG::CHANNELS; c++) {
    for (unsigned y = 0; y < CFG::HEIGHT; y++) {
    pixel_words:
      for (unsigned wi = 0; wi < CFG::ROW_WORDS; wi++) {
        UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
        UBIMOE_AXI_BURST(TM::BYTE_UNITS * (CFG::AXI_BITS / 8), TM::PORT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
        const typename CFG::word_t word = pixels[(c * CFG::HEIGHT + y) * CFG::ROW_WORDS + wi];
      unpack:
        for (unsigned l = 0; l < CFG::ACTS_PER_WORD; l++) {
#pragma HLS UNROLL
          const unsigned x = wi * CFG::ACTS_PER_WORD + l;
          if (x < CFG::WIDTH) {
            const unsigned patch = (y / P) * CFG::PATCHES_W + x / P;
            const unsigned col = (c * P + y % P) * P + x % P;
            patches[patch][col] =
                from_bits<typename CFG::act_t, CFG::ACT_BITS>(word_field<CFG::ACT_BITS, CFG::AXI_BITS>(word, l));
          }
        }
      }
    }
  }
}

}  // namespace ubimoe

#endif
