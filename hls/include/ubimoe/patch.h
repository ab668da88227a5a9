// ubimoe kernel library: patch embedding. The image arrives as CHANNELS·HEIGHT rows of WIDTH
// activations (one word-aligned row each, docs/weights.md); each pixel is scattered to its patch
// row and its position in the flattened (c, py, px) patch vector, i.e. the Conv2d(P×P, stride P)
// becomes one linear layer over PATCHES rows. The position embedding is not a separate pass: the
// patch rows start as pos_embed rows 1.. and the linear's drain adds the projection into them
// (the engine's residual mode), so the tail after the linear is only the write.
#ifndef UBIMOE_PATCH_H
#define UBIMOE_PATCH_H

#include "common.h"
#include "timing.h"
#include "tokens.h"

namespace ubimoe {

// CFG: word_t act_t; AXI_BITS ACT_BITS ACTS_PER_WORD CHANNELS HEIGHT WIDTH PATCH PATCHES_W
// PATCHES PATCH_INPUTS ROW_WORDS WRITE_LANES CHUNKS.
// The patch array is partitioned cyclic by the engine's TILE_IN on dim 2; a pixel word is
// written WRITE_LANES elements per cycle (CHUNKS cycles a word): WRITE_LANES divides PATCH,
// ACTS_PER_WORD and TILE_IN, so a chunk is consecutive columns of one patch, one per bank.
// Patch p goes to row ROW0 + p of `patches`: [rows][>= PATCH_INPUTS] (patch_embed's own array,
// ROW0 0) or the lane layout [groups][LANES][...] (vit_block's B, ROW0 1: row 0 is the cls
// token's, tokens.h); a run-time row, one per cycle.
// Timing: the (channel, row, word × chunk) nest is one flattened II=1 loop and one m_axi burst
// (a word is read on a word's first chunk).
template <class CFG, unsigned ROW0 = 0, class D>
void gather_patches(const typename CFG::word_t *pixels, D *patches) {
  UBIMOE_PROCESS("gather_patches");
  typedef typename CFG::TIMING TM;
  const unsigned P = CFG::PATCH, W = CFG::WRITE_LANES;
  static_assert(P % W == 0 && CFG::ACTS_PER_WORD % W == 0, "a chunk is one patch's consecutive columns");
  typename CFG::word_t word = 0;  // the pixel word being written out, chunk by chunk
  UBIMOE_CYCLES(0);
pixel_rows:
  for (unsigned c = 0; c < CFG::CHANNELS; c++) {
    for (unsigned y = 0; y < CFG::HEIGHT; y++) {
    pixel_chunks:
      for (unsigned it = 0; it < CFG::ROW_WORDS * CFG::CHUNKS; it++) {
        UBIMOE_PIPELINE(1, TM::AXI_READ_DEPTH);
        const unsigned wi = it / CFG::CHUNKS, k = it % CFG::CHUNKS;
        if (k == 0) {
          UBIMOE_AXI_BURST(TM::BYTE_UNITS * (CFG::AXI_BITS / 8), TM::PORT_BYTE_UNITS_PER_CYCLE, TM::AXI_FIRST_BEAT_CYCLES);
          word = pixels[(c * CFG::HEIGHT + y) * CFG::ROW_WORDS + wi];
        }
        // the chunk's first pixel: its patch, and its column (a multiple of W: lane j is bank j mod W)
        const unsigned x0 = wi * CFG::ACTS_PER_WORD + k * W;
        const unsigned patch = (y / P) * CFG::PATCHES_W + x0 / P;
        const unsigned col0 = ((c * P + y % P) * P + x0 % P) / W;
        unsigned g, l;
        row_of<D>(ROW0 + patch, g, l);
      unpack:
        for (unsigned j = 0; j < W; j++) {
#pragma HLS UNROLL
          if (x0 + j < CFG::WIDTH)
            row_elem(patches, g, l, col0 * W + j) =
                from_bits<typename CFG::act_t, CFG::ACT_BITS>(word_field<CFG::ACT_BITS, CFG::AXI_BITS>(word, k * W + j));
        }
      }
    }
  }
}

// ROW: one row of DIM activations (MAX_ROWS = 1); ROWS: the patch rows (MAX_ROWS = PATCHES).
// read_rows stores ACTS_PER_WORD elements a cycle: head and body come partitioned by at least that.
// The token rows before the linear: head = cls_token + pos_embed[0]; body = pos_embed[1..], which
// the linear's drain then adds the projection into (R += y: the same sum as y + pos).
// Timing: three m_axi bursts (cls, pos_embed row 0, the other rows) and the D-element add.
// cls at word `cls` and pos_embed at word `pos` of the weight region on P ports (w0..w3, common.h).
template <class ROW, class ROWS, unsigned P>
void position_rows(const typename ROW::word_t *w0, const typename ROW::word_t *w1, const typename ROW::word_t *w2,
                   const typename ROW::word_t *w3, unsigned cls, unsigned pos, typename ROW::act_t head[1][ROW::DIM],
                   typename ROWS::act_t body[ROWS::MAX_ROWS][ROWS::DIM]) {
  UBIMOE_PROCESS("position_rows");
  typedef typename ROW::TIMING TM;
  const unsigned word_fields = ROW::ACTS_PER_WORD;
  typename ROW::act_t pos0[1][ROW::DIM];
#pragma HLS ARRAY_PARTITION variable=pos0 cyclic factor=word_fields dim=2
  read_weight_rows<ROW, P>(w0, w1, w2, w3, cls, 1, head);
  read_weight_rows<ROW, P>(w0, w1, w2, w3, pos, 1, pos0);
  read_weight_rows<ROWS, P>(w0, w1, w2, w3, pos + ROW::ROW_WORDS, ROWS::MAX_ROWS, body);
  UBIMOE_CYCLES(0);
cls_position:
  for (unsigned d = 0; d < ROW::DIM; d++) {
    UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
    head[0][d] = head[0][d] + pos0[0][d];
  }
}

// vit_block's token rows before its patch pass, straight into its residual r (lane layout, a
// wider type): rows 0..TOKENS-1 = pos_embed, then row 0 += cls_token, rounded to act_t as
// position_rows rounds head (the same sum: r holds pos_embed[0] exactly). The patch pass then
// adds the projection into rows 1.. (its drain's first row, linear.h linear_pass::row0).
// ROW: one row (MAX_ROWS 1); ROWS: the token rows (MAX_ROWS = TOKENS). Timing: two m_axi bursts
// (cls, then every pos_embed row) and the D-element add.
template <class ROW, class ROWS, unsigned P, class R>
void position_residual(const typename ROW::word_t *w0, const typename ROW::word_t *w1, const typename ROW::word_t *w2,
                       const typename ROW::word_t *w3, unsigned cls, unsigned pos, R *r) {
  UBIMOE_PROCESS("position_residual");
  typedef typename ROW::TIMING TM;
  typedef typename ROW::act_t act_t;
  const unsigned word_fields = ROW::ACTS_PER_WORD;
  act_t head[1][ROW::DIM];
#pragma HLS ARRAY_PARTITION variable=head cyclic factor=word_fields dim=2
  read_weight_rows<ROW, P>(w0, w1, w2, w3, cls, 1, head);
  read_weight_rows<ROWS, P>(w0, w1, w2, w3, pos, ROWS::MAX_ROWS, r);
  UBIMOE_CYCLES(0);
cls_position:
  for (unsigned d = 0; d < ROW::DIM; d++) {
    UBIMOE_PIPELINE(1, TM::ELEMENTWISE_DEPTH);
    row_elem(r, 0, 0, d) = act_t(head[0][d] + act_t(row_elem(r, 0, 0, d)));
  }
}

}  // namespace ubimoe

#endif
