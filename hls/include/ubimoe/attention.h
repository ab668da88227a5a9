// ubimoe kernel library: streaming multi-head attention (UbiMoE's latency-optimised MSA core).
// Query rows are taken Q_PAR at a time; K/V rows stream by in blocks of KEY_BLOCK; the scores of
// a block never leave the chip: softmax is computed online ("safe softmax": running max m,
// running sum l rescaled by e^(m_old - m_new)), A·V is accumulated on the fly with the same
// rescaling, and one reciprocal per query row finishes it. No N×N score matrix exists.
//
// Timing (ubimoe/timing.h; CFG::TIMING: latencies): per head the K/V transpose (one flattened
// II=1 loop), then per query group a dataflow region of the score and softmax/A·V stages. The
// per-block softmax and the per-group clearing of the accumulators are unpipelined: their cycles
// (CFG::SOFTMAX_BLOCK_CYCLES, CFG::INIT_CYCLES) are computed by src/kernels/latency.ts.
#ifndef UBIMOE_ATTENTION_H
#define UBIMOE_ATTENTION_H

#include <hls_stream.h>

#include "common.h"
#include "nonlinear.h"
#include "timing.h"

namespace ubimoe {

// CFG: qkv_t dot_t dotr_t scale_t score_t prob_t psum_t lsum_t pv_t oacc_t onorm_t mant_t out_t;
// TOKENS DIM HEADS HEAD_DIM Q_PAR KEY_BLOCK SCALE_BITS SCALE_RAW SCORE_BITS SCORE_FRAC PROB_BITS
// PROB_FRAC LSUM_BITS LSUM_FRAC ONORM_BITS ONORM_FRAC STREAM_DEPTH.
// qkv[t] = [q | k | v] (3·DIM, head h at h·HEAD_DIM in each); out[t] = heads concatenated.

// e^(a - b) for scores a <= b, as a probability (PROB_FRAC fractional bits, rounded).
template <class CFG>
inline typename CFG::prob_t attention_exp(const typename CFG::score_t &a, const typename CFG::score_t &b) {
  // a - b as raw bits (SCORE_FRAC fractional): the exact integer (a - b) · 2^SCORE_FRAC
  const ap_int<CFG::SCORE_BITS + 1> diff = ap_int<CFG::SCORE_BITS + 1>(
      (a - b) * ap_uint<CFG::SCORE_FRAC + 1>(ap_uint<CFG::SCORE_FRAC + 1>(1) << CFG::SCORE_FRAC));
  const ap_uint<25> e = exp_neg_q24<CFG::SCORE_BITS + 1, CFG::SCORE_FRAC>(diff);
  const ap_uint<26> rounded = e + (ap_uint<26>(1) << (TABLE_FRAC - CFG::PROB_FRAC - 1));
  return from_bits<typename CFG::prob_t, CFG::PROB_BITS>(ap_uint<CFG::PROB_BITS>(rounded >> (TABLE_FRAC - CFG::PROB_FRAC)));
}

// The scores of Q_PAR query rows against one block of KEY_BLOCK keys: what streams from the
// score stage to the softmax stage (one block per step; the N x N matrix never exists).
template <class CFG>
struct score_block {
  typename CFG::score_t s[CFG::Q_PAR][CFG::KEY_BLOCK];
};

// Stage 1: scores of the query rows q0 .. q0+Q_PAR-1 of head h, one key block after another.
template <class CFG>
void attention_scores(const typename CFG::qkv_t qkv[CFG::TOKENS][3 * CFG::DIM], unsigned h, unsigned q0,
                      const typename CFG::qkv_t kt[CFG::HEAD_DIM][CFG::TOKENS + CFG::KEY_BLOCK],
                      hls::stream<score_block<CFG>, CFG::STREAM_DEPTH> &scores) {
  UBIMOE_PROCESS("attention_scores");
  typedef typename CFG::TIMING TM;
  const unsigned N = CFG::TOKENS, HD = CFG::HEAD_DIM, QP = CFG::Q_PAR, KB = CFG::KEY_BLOCK;
  const typename CFG::scale_t scale =
      from_bits<typename CFG::scale_t, CFG::SCALE_BITS>(ap_uint<CFG::SCALE_BITS>(CFG::SCALE_RAW));
score_blocks:
  for (unsigned k0 = 0; k0 < N; k0 += KB) {
    score_block<CFG> blk;
    // exact dot products of all Q_PAR rows with KEY_BLOCK keys at once: one pipelined pass over
    // d reads Q_PAR query elements and KEY_BLOCK key elements per cycle (each dot product still
    // sums over d in increasing order), then the head_dim^-0.5 scaling
    typename CFG::dot_t dot[QP][KB];
#pragma HLS ARRAY_PARTITION variable=dot complete dim=0
  clear_dot:
    for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
      for (unsigned kb = 0; kb < KB; kb++) dot[qp][kb] = 0;
    }
  qk:
    for (unsigned d = 0; d < HD; d++) {
      UBIMOE_PIPELINE(1, TM::ATTN_QK_DEPTH);
    qk_queries:
      for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
        const unsigned q = q0 + qp < N ? q0 + qp : N - 1;  // rows past the end are computed and ignored
        const typename CFG::qkv_t qd = qkv[q][h * HD + d];
      qk_keys:
        for (unsigned kb = 0; kb < KB; kb++) {
#pragma HLS UNROLL
          dot[qp][kb] += qd * kt[d][k0 + kb];
        }
      }
    }
  scale_scores:
    for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
      for (unsigned kb = 0; kb < KB; kb++) blk.s[qp][kb] = typename CFG::dotr_t(dot[qp][kb]) * scale;
    }
    UBIMOE_CYCLES(TM::ATTN_SCALE_CYCLES);
    scores.write(blk);
  }
}

// Stage 2: online softmax and A·V over the streamed score blocks, then one reciprocal per row.
template <class CFG>
void attention_softmax_av(hls::stream<score_block<CFG>, CFG::STREAM_DEPTH> &scores, unsigned h, unsigned q0,
                          const typename CFG::qkv_t vt[CFG::HEAD_DIM][CFG::TOKENS + CFG::KEY_BLOCK],
                          typename CFG::out_t out[CFG::TOKENS][CFG::DIM]) {
  UBIMOE_PROCESS("attention_softmax_av");
  typedef typename CFG::TIMING TM;
  typedef typename CFG::score_t score_t;
  typedef typename CFG::prob_t prob_t;
  const unsigned N = CFG::TOKENS, HD = CFG::HEAD_DIM, QP = CFG::Q_PAR, KB = CFG::KEY_BLOCK;
  score_t lowest;  // the most negative score: the running max before any key
  lowest.range(CFG::SCORE_BITS - 1, 0) = ap_uint<CFG::SCORE_BITS>(1) << (CFG::SCORE_BITS - 1);
  score_t m[QP];
  typename CFG::lsum_t l[QP];
  typename CFG::oacc_t o[QP][HD];
#pragma HLS ARRAY_PARTITION variable=m complete
#pragma HLS ARRAY_PARTITION variable=l complete
#pragma HLS ARRAY_PARTITION variable=o complete dim=1
init:
  for (unsigned qp = 0; qp < QP; qp++) {
    m[qp] = lowest;
    l[qp] = 0;
    for (unsigned d = 0; d < HD; d++) o[qp][d] = 0;
  }
  UBIMOE_CYCLES(CFG::INIT_CYCLES);  // rolled loops: one store per cycle
softmax_blocks:
  for (unsigned k0 = 0; k0 < N; k0 += KB) {
    const score_block<CFG> blk = scores.read();
    UBIMOE_CYCLES(CFG::SOFTMAX_BLOCK_CYCLES);  // softmax_queries below: straight-line, its loops rolled
    prob_t p[QP][KB];   // this block's probabilities under the new running max
    prob_t corr[QP];    // e^(m_old - m_new): the rescaling of what was accumulated so far
#pragma HLS ARRAY_PARTITION variable=p complete dim=0
#pragma HLS ARRAY_PARTITION variable=corr complete
  softmax_queries:
    for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
      score_t block_max = lowest;
      for (unsigned kb = 0; kb < KB; kb++)
        if (k0 + kb < N && blk.s[qp][kb] > block_max) block_max = blk.s[qp][kb];
      const score_t m_new = block_max > m[qp] ? block_max : m[qp];
      corr[qp] = attention_exp<CFG>(m[qp], m_new);
      typename CFG::psum_t psum = 0;
    probs:
      for (unsigned kb = 0; kb < KB; kb++) {
        p[qp][kb] = k0 + kb < N ? attention_exp<CFG>(blk.s[qp][kb], m_new) : prob_t(0);
        psum += p[qp][kb];
      }
      l[qp] = l[qp] * corr[qp] + psum;
      m[qp] = m_new;
    }
    // A·V for the block and the rescaling in one pipelined pass over d: Q_PAR x KEY_BLOCK
    // products per cycle (vt is banked by KEY_BLOCK); each pv sums over kb in increasing order
  av:
    for (unsigned d = 0; d < HD; d++) {
      UBIMOE_PIPELINE(1, TM::ATTN_AV_DEPTH);
    av_queries:
      for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
        typename CFG::pv_t pv = 0;
      av_keys:
        for (unsigned kb = 0; kb < KB; kb++) {
#pragma HLS UNROLL
          pv += p[qp][kb] * vt[d][k0 + kb];
        }
        o[qp][d] = typename CFG::oacc_t(o[qp][d] * corr[qp]) + typename CFG::oacc_t(pv);
      }
    }
  }
  // out = o / l (l >= 1: the max key contributes e^0)
finish:
  for (unsigned qp = 0; qp < QP; qp++) {
    const unsigned q = q0 + qp;
    if (q < N) {
      ap_uint<25> mant_bits;
      int exp2;
      recip_q24<CFG::LSUM_BITS, CFG::LSUM_FRAC>(bits_of<CFG::LSUM_BITS>(l[qp]), mant_bits, exp2);
      const typename CFG::mant_t mant = from_bits<typename CFG::mant_t, 25>(mant_bits);
      UBIMOE_CYCLES(TM::RECIP_CYCLES);
    normalise:
      for (unsigned d = 0; d < HD; d++) {
        UBIMOE_PIPELINE(1, TM::ATTN_NORMALISE_DEPTH);
        typedef ap_fixed<CFG::ONORM_BITS + 25, CFG::ONORM_BITS + 25 - CFG::ONORM_FRAC - 24> prod_t;
        const prod_t v = typename CFG::onorm_t(o[qp][d]) * mant;
        out[q][h * HD + d] = scale_pow2<prod_t, CFG::ONORM_BITS + 25>(v, exp2);
      }
    }
  }
}

// One group of query rows: the score stage and the softmax/A·V stage run as a dataflow pipeline
// connected by a FIFO of score blocks.
template <class CFG>
void attention_group(const typename CFG::qkv_t qkv[CFG::TOKENS][3 * CFG::DIM], unsigned h, unsigned q0,
                     const typename CFG::qkv_t kt[CFG::HEAD_DIM][CFG::TOKENS + CFG::KEY_BLOCK],
                     const typename CFG::qkv_t vt[CFG::HEAD_DIM][CFG::TOKENS + CFG::KEY_BLOCK],
                     typename CFG::out_t out[CFG::TOKENS][CFG::DIM]) {
  UBIMOE_DATAFLOW_REGION("attention_group");
  hls::stream<score_block<CFG>, CFG::STREAM_DEPTH> scores("attention_scores");
  attention_scores<CFG>(qkv, h, q0, kt, scores);
  attention_softmax_av<CFG>(scores, h, q0, vt, out);
}

template <class CFG>
void attention(const typename CFG::qkv_t qkv[CFG::TOKENS][3 * CFG::DIM], typename CFG::out_t out[CFG::TOKENS][CFG::DIM]) {
  typedef typename CFG::TIMING TM;
  const unsigned N = CFG::TOKENS, HD = CFG::HEAD_DIM, QP = CFG::Q_PAR, KB = CFG::KEY_BLOCK;
heads:
  for (unsigned h = 0; h < CFG::HEADS; h++) {
    // this head's keys and values, both transposed (d-major: a step over d meets KEY_BLOCK
    // consecutive keys, which C-simulation reads as one contiguous run) and banked by KEY_BLOCK
    // so one key block is read per cycle; zero past the last token
    static typename CFG::qkv_t kt[HD][N + KB];
    static typename CFG::qkv_t vt[HD][N + KB];
#pragma HLS ARRAY_PARTITION variable=kt cyclic factor=KB dim=2
#pragma HLS ARRAY_PARTITION variable=vt cyclic factor=KB dim=2
    UBIMOE_CYCLES(0);  // a loop instance per head (the heads loop is not a perfect nest)
  split_head:
    for (unsigned t = 0; t < N + KB; t++) {
      for (unsigned d = 0; d < HD; d++) {
        UBIMOE_PIPELINE(1, TM::SPLIT_HEAD_DEPTH);
        const bool valid = t < N;
        kt[d][t] = valid ? qkv[valid ? t : 0][CFG::DIM + h * HD + d] : typename CFG::qkv_t(0);
        vt[d][t] = valid ? qkv[valid ? t : 0][2 * CFG::DIM + h * HD + d] : typename CFG::qkv_t(0);
      }
    }
  query_groups:
    for (unsigned q0 = 0; q0 < N; q0 += QP) attention_group<CFG>(qkv, h, q0, kt, vt, out);
  }
}

}  // namespace ubimoe

#endif
