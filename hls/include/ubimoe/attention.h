// ubimoe kernel library: streaming multi-head attention (UbiMoE's latency-optimised MSA core).
// Query rows are taken Q_PAR at a time; K/V rows stream by in blocks of KEY_BLOCK; the scores of
// a block never leave the chip: softmax is computed online ("safe softmax": running max m,
// running sum l rescaled by e^(m_old - m_new)), A·V is accumulated on the fly with the same
// rescaling, and one reciprocal per query row finishes it. No N×N score matrix exists.
//
// Structure and timing (ubimoe/timing.h; CFG::TIMING: latencies; docs/cost-model.md): five
// dataflow processes joined by FIFOs, every head and query group passing through them in order:
// reader (the only reader of qkv: K/V split into key blocks, query rows into groups, a head ahead
// of the rest) -> scores -> softmax (EXP_UNITS exp units, each with its own table) -> A·V ->
// finish (reciprocals, normalise). A group's finish overlaps the next group's blocks, the next
// head's split this head's groups. The kernel calls the five in ITS dataflow region, beside the
// linear engine that writes qkv one head at a time: the reader takes a head only once the engine
// has sent that head's token on `ready` (msa_block.cpp: the attention of head h runs while the
// qkv pass of head h + 1 does). `heads`: how many heads this call runs (0: nothing to do); the
// reader and the finish, which index qkv and out by head, take them from head `h0` on. Every loop with a lane dimension reaches its lanes with
// unrolled indices (query rows, keys of a block, exp units) or writes one lane per cycle; the
// figures the stages use (EXP_UNITS, EXP_CHUNKS, Q_READS, OUT_ROWS, the FIFO depths,
// BLOCK_MAX_CYCLES) come from src/kernels/latency.ts and cpp/blocks.ts.
#ifndef UBIMOE_ATTENTION_H
#define UBIMOE_ATTENTION_H

#include <hls_stream.h>

#include "common.h"
#include "nonlinear.h"
#include "timing.h"

namespace ubimoe {

// CFG: qkv_t qkv_store_t dot_t dotr_t scale_t score_t prob_t psum_t lsum_t pv_t oacc_t onorm_t mant_t out_t;
// TOKENS DIM HEADS QKV_COLS HEAD_DIM Q_PAR KEY_BLOCK LANES ROW_GROUPS KEY_BLOCKS AV_STEPS EXP_UNITS EXP_CHUNKS Q_READS Q_FIFO_DEPTH
// KV_FIFO_DEPTH OUT_ROWS OUT_ROW_STEPS BLOCK_MAX_CYCLES SCALE_BITS SCALE_RAW SCORE_BITS SCORE_FRAC PROB_BITS
// PROB_FRAC LSUM_BITS LSUM_FRAC ONORM_BITS ONORM_FRAC STREAM_DEPTH.
// qkv[t] = head after head, each [q | k | v] (head h's q at h·3·HEAD_DIM, its k HEAD_DIM and its v
// 2·HEAD_DIM further: the qkv projection runs one pass per head), in an array of qkv_store_t
// [..][QKV_COLS] (msa_block's own qkv_t [..][3·DIM]; a fused block's engine B, which the MLP's
// hidden layer shares, read exactly as qkv_t); out[t] = heads concatenated.
// Both are the kernel's linear-engine arrays in the lane layout [ROW_GROUPS][LANES][...] (tokens.h:
// the LANES dimension completely partitioned): row t is (t / LANES, t % LANES), reached only by
// (group, lane) counters that step one row at a time, so a lane is a mux select, never a division.

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

// The query rows of a group, one head-dim column (Q_PAR values) per element: what the query loader
// streams to the score stage (which keeps them in registers, one lane per row).
template <class CFG>
struct query_col {
  typename CFG::qkv_t q[CFG::Q_PAR];
};

// One head-dim column of a key block (KEY_BLOCK keys, or values): reader -> score / A·V stage.
template <class CFG>
struct kv_col {
  typename CFG::qkv_t k[CFG::KEY_BLOCK];
};

// The scores of Q_PAR query rows against one block of KEY_BLOCK keys: what streams from the
// score stage to the softmax stage (one block per step; the N x N matrix never exists).
template <class CFG>
struct score_block {
  typename CFG::score_t s[CFG::Q_PAR][CFG::KEY_BLOCK];
};

// One block's probabilities under the new running max, and each row's rescaling e^(m_old - m_new)
// of what was accumulated before: what streams from the softmax stage to the A·V stage.
template <class CFG>
struct prob_block {
  typename CFG::prob_t p[CFG::Q_PAR][CFG::KEY_BLOCK];
  typename CFG::prob_t corr[CFG::Q_PAR];
};

// A group's running sums l (softmax stage -> finish stage, once per group).
template <class CFG>
struct lsum_rows {
  typename CFG::lsum_t l[CFG::Q_PAR];
};

// One head-dim column of a group's finished A·V accumulators (A·V stage -> finish stage).
template <class CFG>
struct oacc_col {
  typename CFG::oacc_t o[CFG::Q_PAR];
};

// Stage 0: the only reader of qkv. Per head, row after row (ROWS = KEY_BLOCKS · KEY_BLOCK rows,
// zero past the last token), one flattened II=1 loop of ROW_STEPS steps per row: first the row's
// key, then its value, KV_READS columns per cycle (one per column bank of qkv, through one port of
// the bank: the engine's drain may write through the other), into the block buffers of its parity,
// lane kb; then the row's query, Q_READS (= KV_READS) elements per cycle, into the group buffer,
// lane qp. Beside the reads, a finished key block's
// columns leave for the score and A·V stages (one column a cycle, over the following steps) and a
// finished query group's columns for the score stage; the last, partial group waits for the one
// before it. FLUSH_STEPS after the last row let the last block and group leave. ROW_STEPS is at
// least HEAD_DIM / KEY_BLOCK and HEAD_DIM / Q_PAR, so a block or a group has left before its
// buffer is written again (src/kernels/latency.ts attentionReaderPlan). The FIFOs hold a head, so
// the reader runs up to a head ahead: the next head's split overlaps this head's query groups.
// A head starts with its token from `ready` (its q | k | v are in qkv). Row t of qkv is (tg, tl),
// counted along with the rows.
template <class CFG>
void attention_reader(unsigned h0, unsigned heads, hls::stream<unsigned, CFG::HEADS> &ready,
                      const typename CFG::qkv_store_t qkv[CFG::ROW_GROUPS][CFG::LANES][CFG::QKV_COLS],
                      hls::stream<query_col<CFG>, CFG::Q_FIFO_DEPTH> &qcols,
                      hls::stream<kv_col<CFG>, CFG::KV_FIFO_DEPTH> &kcols,
                      hls::stream<kv_col<CFG>, CFG::KV_FIFO_DEPTH> &vcols) {
  UBIMOE_PROCESS("attention_reader");
  typedef typename CFG::TIMING TM;
  typedef typename CFG::qkv_t qkv_t;
  const unsigned N = CFG::TOKENS, HD = CFG::HEAD_DIM, QP = CFG::Q_PAR, KB = CFG::KEY_BLOCK;
  const unsigned ROWS = CFG::ROWS, KR = CFG::KV_READS, QR = CFG::Q_READS;
  const unsigned KV_STEPS = HD / KR, Q_STEPS = HD / QR;
  const unsigned row_steps = CFG::ROW_STEPS, flush_steps = CFG::FLUSH_STEPS;
  const unsigned L = CFG::LANES;
  static_assert(HD % KR == 0 && HD % QR == 0, "the reads per cycle divide the head dim");
  static_assert(2 * KV_STEPS + Q_STEPS <= CFG::ROW_STEPS && CFG::ROW_STEPS * KB >= HD && CFG::ROW_STEPS * QP >= HD,
                "a row has its reads, and a block's or a group's columns leave before the next is complete");
  static_assert(CFG::FLUSH_STEPS >= HD, "the last block leaves in the flush steps");
  // [parity][column / KV_READS][column % KV_READS][key]: a row's KV_READS columns are static banks
  qkv_t kbuf[2][HD / KR][KR][KB];
  qkv_t vbuf[2][HD / KR][KR][KB];
  qkv_t qbuf[2][QP][HD];
#pragma HLS ARRAY_PARTITION variable=kbuf complete dim=1
#pragma HLS ARRAY_PARTITION variable=kbuf complete dim=3
#pragma HLS ARRAY_PARTITION variable=kbuf complete dim=4
#pragma HLS ARRAY_PARTITION variable=vbuf complete dim=1
#pragma HLS ARRAY_PARTITION variable=vbuf complete dim=3
#pragma HLS ARRAY_PARTITION variable=vbuf complete dim=4
#pragma HLS ARRAY_PARTITION variable=qbuf complete dim=1
#pragma HLS ARRAY_PARTITION variable=qbuf complete dim=2
  unsigned kb = 0, qp = 0, kpar = 0, qpar = 0;  // the row's lanes and buffer parities (no div/mod)
  unsigned tg = 0, tl = 0;                       // the row in qkv: group, lane (read while t < N)
  // the columns leaving: a key block (kpar of its buffer, column kq · KV_READS + kr) and a query
  // group (its parity, column qd), each while its `*_left` flag is set; a query group finished
  // while the one before it is still leaving waits in q_waiting
  bool kv_left = false, q_left = false, q_waiting = false;
  unsigned kv_par = 0, kq = 0, kr = 0, q_par = 0, q_wait_par = 0, qd = 0;
  const unsigned max_heads = CFG::HEADS;
heads:
  for (unsigned h = h0; h < h0 + heads; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_heads
    ready.read();  // the engine has written this head's q | k | v
    const unsigned hq = h * 3 * HD, hk = hq + HD, hv = hq + 2 * HD;  // its columns in qkv
  rows:
    for (unsigned t = 0; t <= ROWS; t++) {
      const unsigned steps = t < ROWS ? row_steps : flush_steps;
      for (unsigned j = 0; j < steps; j++) {
#pragma HLS LOOP_TRIPCOUNT min=row_steps max=flush_steps
        UBIMOE_PIPELINE(1, TM::ATTN_READ_DEPTH);
        const bool row = t < ROWS;  // else the flush steps: they only send
        const bool valid = t < N;
        if (j == 0) {
          // a key block finished with the previous row (or the last one, at the flush)
          if (t > 0 && kb == 0) {
            kv_left = true;
            kv_par = kpar ^ 1;
            kq = 0;
            kr = 0;
          }
          // a query group finished (a whole one, or the last, partial one)
          if (t > 0 && t <= N && (qp == 0 || t == N)) {
            const unsigned spar = qp == 0 ? qpar ^ 1 : qpar;
            if (q_left) {
              q_waiting = true;
              q_wait_par = spar;
            } else {
              q_left = true;
              q_par = spar;
              qd = 0;
            }
          }
        }
        // one port of each qkv column bank a step (the engine's drain may write the next head's
        // columns through the other): the key's columns, then the value's (the same banks), then
        // the query's
        if (row && j < KV_STEPS) {
          for (unsigned r = 0; r < KR; r++) {
#pragma HLS UNROLL
            kbuf[kpar][j][r][kb] = valid ? qkv_t(qkv[tg][tl][hk + j * KR + r]) : qkv_t(0);
          }
        } else if (row && j < 2 * KV_STEPS) {
          const unsigned jv = j - KV_STEPS;
          for (unsigned r = 0; r < KR; r++) {
#pragma HLS UNROLL
            vbuf[kpar][jv][r][kb] = valid ? qkv_t(qkv[tg][tl][hv + jv * KR + r]) : qkv_t(0);
          }
        } else if (row && valid && j < 2 * KV_STEPS + Q_STEPS) {
          // rows past the end of the last group repeat the last row (computed and ignored)
          const unsigned d0 = (j - 2 * KV_STEPS) * QR;
          for (unsigned r = 0; r < QR; r++) {
#pragma HLS UNROLL
            const qkv_t x = qkv_t(qkv[tg][tl][hq + d0 + r]);
            for (unsigned e = 0; e < QP; e++) {
#pragma HLS UNROLL
              if (e == qp || (t == N - 1 && e > qp)) qbuf[qpar][e][d0 + r] = x;
            }
          }
        }
        if (kv_left) {
          kv_col<CFG> kc, vc;
          for (unsigned e = 0; e < KB; e++) {
#pragma HLS UNROLL
            kc.k[e] = kbuf[kv_par][kq][kr][e];
            vc.k[e] = vbuf[kv_par][kq][kr][e];
          }
          kcols.write(kc);
          vcols.write(vc);
          const bool rwrap = kr == KR - 1;
          kv_left = !(rwrap && kq == KV_STEPS - 1);
          kr = rwrap ? 0 : kr + 1;
          kq = rwrap ? kq + 1 : kq;
        }
        if (q_left) {
          query_col<CFG> qc;
          for (unsigned e = 0; e < QP; e++) {
#pragma HLS UNROLL
            qc.q[e] = qbuf[q_par][e][qd];
          }
          qcols.write(qc);
          if (qd == HD - 1) {
            // the waiting group leaves next
            q_left = q_waiting;
            q_par = q_wait_par;
            q_waiting = false;
            qd = 0;
          } else {
            qd++;
          }
        }
        if (j == steps - 1) {  // the next row's lanes
          const bool kwrap = kb == KB - 1, qwrap = qp == QP - 1, twrap = tl == L - 1;
          kb = t == ROWS || kwrap ? 0 : kb + 1;
          kpar = t == ROWS ? 0 : kwrap ? kpar ^ 1 : kpar;
          qp = t == ROWS || qwrap ? 0 : qp + 1;
          qpar = t == ROWS ? 0 : qwrap ? qpar ^ 1 : qpar;
          tl = t == ROWS || twrap ? 0 : tl + 1;
          tg = t == ROWS ? 0 : twrap ? tg + 1 : tg;
        }
      }
    }
  }
}

// Stage 1: per group, the scores of its Q_PAR query rows, one key block after another. The first
// block takes the query columns from the reader and keeps them (qreg: one bank per row); the first
// group takes the key columns and keeps them (kt: one bank per key of a block).
template <class CFG>
void attention_scores(unsigned heads, hls::stream<query_col<CFG>, CFG::Q_FIFO_DEPTH> &qcols,
                      hls::stream<kv_col<CFG>, CFG::KV_FIFO_DEPTH> &kcols,
                      hls::stream<score_block<CFG>, CFG::STREAM_DEPTH> &scores) {
  UBIMOE_PROCESS("attention_scores");
  typedef typename CFG::TIMING TM;
  const unsigned N = CFG::TOKENS, HD = CFG::HEAD_DIM, QP = CFG::Q_PAR, KB = CFG::KEY_BLOCK;
  const unsigned NB = CFG::KEY_BLOCKS;
  const typename CFG::scale_t scale =
      from_bits<typename CFG::scale_t, CFG::SCALE_BITS>(ap_uint<CFG::SCALE_BITS>(CFG::SCALE_RAW));
  typename CFG::qkv_t qreg[QP][HD];
  // the head's keys, d-major, a bank per key of a block (kept from the first group's pass)
  static typename CFG::qkv_t kt[HD][NB][KB];
  typename CFG::dot_t dot[QP][KB];  // the block's dot products (registers)
#pragma HLS ARRAY_PARTITION variable=qreg complete dim=1
#pragma HLS ARRAY_PARTITION variable=kt complete dim=3
#pragma HLS ARRAY_PARTITION variable=dot complete dim=0
  const unsigned max_heads = CFG::HEADS;
heads:
  for (unsigned h = 0; h < heads; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_heads
  query_groups:
  for (unsigned q0 = 0; q0 < N; q0 += QP) {
  score_blocks:
    for (unsigned b = 0; b < NB; b++) {
      // exact dot products of all Q_PAR rows with KEY_BLOCK keys at once: a pipelined pass over
      // d reads Q_PAR query elements and KEY_BLOCK key elements per cycle (each dot product still
      // sums over d in increasing order); its last step scales the block by head_dim^-0.5 and
      // sends it. The loops are a perfect nest (no code between them), so Vitis flattens heads,
      // groups, blocks and d into ONE pipeline: a block takes HEAD_DIM cycles, the depth is paid
      // once per call, not per block (issue 14).
    qk:
      for (unsigned d = 0; d < HD; d++) {
        UBIMOE_PIPELINE(1, TM::ATTN_QK_DEPTH + TM::ATTN_SCALE_CYCLES);
        query_col<CFG> c;
        if (b == 0) c = qcols.read();
        kv_col<CFG> kc;
        if (q0 == 0) kc = kcols.read();
      qk_queries:
        for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
          const typename CFG::qkv_t qd = b == 0 ? c.q[qp] : qreg[qp][d];
          if (b == 0) qreg[qp][d] = qd;
        qk_keys:
          for (unsigned kb = 0; kb < KB; kb++) {
#pragma HLS UNROLL
            const typename CFG::qkv_t key = q0 == 0 ? kc.k[kb] : kt[d][b][kb];
            if (q0 == 0 && qp == 0) kt[d][b][kb] = key;
            const typename CFG::dot_t prev = d == 0 ? typename CFG::dot_t(0) : dot[qp][kb];
            dot[qp][kb] = prev + qd * key;
          }
        }
        if (d == HD - 1) {
          score_block<CFG> blk;
        scale_scores:
          for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
            for (unsigned kb = 0; kb < KB; kb++) blk.s[qp][kb] = typename CFG::dotr_t(dot[qp][kb]) * scale;
          }
          scores.write(blk);
        }
      }
    }
  }
  }
}

// Stage 2: the online softmax of each score block on EXP_UNITS exp units. A block is SM_STEPS
// steps of ONE pipelined loop: step 0 takes the block and each row's block max (a compare tree
// over the keys, then against the running max m: the iteration's first stages); the exp steps
// follow, EXP_CHUNKS x (KEY_BLOCK + 1) of them, a chunk of EXP_UNITS rows at a time: step
// c·(KEY_BLOCK + 1) computes the chunk's rescaling e^(m_old - m_new), the next KEY_BLOCK steps the
// probabilities of its keys; each row's sum of its probabilities (in key order) updates
// l = l·corr + psum at the chunk's last step; the block's last step sends it (and, at the group's
// last block, the rows' sums). The first block of a group starts from m = lowest, l = 0. m and l
// are read again SM_STEPS steps after their update, at least its latency (SM_STEPS >= the
// multiply-add; latency.ts attentionSoftmaxSteps). The loops are a perfect nest that Vitis
// flattens: the depth (block max and exp) is paid once per call, not per block (issue 14).
template <class CFG>
void attention_softmax(unsigned heads, hls::stream<score_block<CFG>, CFG::STREAM_DEPTH> &scores,
                       hls::stream<prob_block<CFG>, 2> &probs, hls::stream<lsum_rows<CFG>, 2> &lsums) {
  UBIMOE_PROCESS("attention_softmax");
  typedef typename CFG::TIMING TM;
  typedef typename CFG::score_t score_t;
  typedef typename CFG::prob_t prob_t;
  const unsigned N = CFG::TOKENS, QP = CFG::Q_PAR, KB = CFG::KEY_BLOCK, NB = CFG::KEY_BLOCKS;
  const unsigned EU = CFG::EXP_UNITS, SM_STEPS = CFG::SM_STEPS;
  static_assert(SM_STEPS >= CFG::EXP_CHUNKS * (KB + 1), "a block's steps hold its exp chunks");
  score_t lowest;  // the most negative score: the running max before any key
  lowest.range(CFG::SCORE_BITS - 1, 0) = ap_uint<CFG::SCORE_BITS>(1) << (CFG::SCORE_BITS - 1);
  score_t m[QP];
  typename CFG::lsum_t l[QP];
  score_t s[QP][KB];  // the block's scores, registers (the exp units pick theirs by row and key)
  score_t m_new[QP];
  score_t m_old[QP];
  prob_t p[QP][KB];
  prob_t corr[QP];
  typename CFG::psum_t psum[EU];
  unsigned c = 0, j = 0;  // the step's chunk of rows and its step in the chunk
#pragma HLS ARRAY_PARTITION variable=m complete
#pragma HLS ARRAY_PARTITION variable=l complete
#pragma HLS ARRAY_PARTITION variable=s complete dim=0
#pragma HLS ARRAY_PARTITION variable=m_new complete
#pragma HLS ARRAY_PARTITION variable=m_old complete
#pragma HLS ARRAY_PARTITION variable=p complete dim=0
#pragma HLS ARRAY_PARTITION variable=corr complete
#pragma HLS ARRAY_PARTITION variable=psum complete
  const unsigned max_heads = CFG::HEADS;
heads:
  for (unsigned h = 0; h < heads; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_heads
  query_groups:
  for (unsigned q0 = 0; q0 < N; q0 += QP) {
  softmax_blocks:
    for (unsigned b = 0; b < NB; b++) {
    softmax_steps:
      for (unsigned st = 0; st < SM_STEPS; st++) {
        UBIMOE_PIPELINE(1, CFG::BLOCK_MAX_CYCLES + TM::ATTN_SOFTMAX_DEPTH);
        // m and l: the next read is SM_STEPS steps after the update (the static_assert above)
#pragma HLS DEPENDENCE variable=m type=inter direction=RAW false
#pragma HLS DEPENDENCE variable=l type=inter direction=RAW false
        const unsigned k0 = b * KB;
        if (st == 0) {
          const score_block<CFG> blk = scores.read();
        block_max:
          for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
            // a compare tree over the valid keys (the max does not depend on the order)
            score_t v[KB];
#pragma HLS ARRAY_PARTITION variable=v complete
            for (unsigned kb = 0; kb < KB; kb++) {
              s[qp][kb] = blk.s[qp][kb];
              v[kb] = k0 + kb < N ? blk.s[qp][kb] : lowest;
            }
            for (unsigned stride = 1; stride < KB; stride *= 2)
              for (unsigned i = 0; i < KB; i += 2 * stride)
                if (i + stride < KB && v[i + stride] > v[i]) v[i] = v[i + stride];
            m_old[qp] = b == 0 ? lowest : m[qp];
            m_new[qp] = v[0] > m_old[qp] ? v[0] : m_old[qp];
            m[qp] = m_new[qp];
          }
        }
        if (c < CFG::EXP_CHUNKS) {
        exp_units:
          for (unsigned e = 0; e < EU; e++) {
#pragma HLS UNROLL
            const unsigned r = c * EU + e;
            if (r < QP) {
              const unsigned kb = j == 0 ? 0 : j - 1;
              const prob_t x = attention_exp<CFG>(j == 0 ? m_old[r] : s[r][kb], m_new[r]);
              if (j == 0) {
                corr[r] = x;
                psum[e] = 0;
              } else {
                const prob_t pk = k0 + kb < N ? x : prob_t(0);
                p[r][kb] = pk;
                const typename CFG::psum_t sum = psum[e] + pk;
                psum[e] = sum;
                if (j == KB) l[r] = (b == 0 ? typename CFG::lsum_t(0) : l[r]) * corr[r] + sum;
              }
            }
          }
        }
        if (st == SM_STEPS - 1) {
          prob_block<CFG> pb;
        pack_probs:
          for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
            pb.corr[qp] = corr[qp];
            for (unsigned kb = 0; kb < KB; kb++) pb.p[qp][kb] = p[qp][kb];
          }
          probs.write(pb);
          if (b == NB - 1) {
            lsum_rows<CFG> ls;
          pack_lsums:
            for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
              ls.l[qp] = l[qp];
            }
            lsums.write(ls);
          }
        }
        // the next step's chunk and step in it (no division; back to 0 after the block's last step)
        const bool cwrap = j == KB, last = st == SM_STEPS - 1;
        j = last || cwrap ? 0 : j + 1;
        c = last ? 0 : cwrap ? c + 1 : c;
      }
    }
  }
  }
}

// Stage 3: A·V of each block and the rescaling of what was accumulated, in one pipelined pass over
// d: Q_PAR x KEY_BLOCK products per cycle; each pv sums over kb in increasing order. The first block
// of a group starts from o = 0; the last one sends its columns on to the finish stage. A block
// takes AV_STEPS = max(HEAD_DIM, ATTN_AV_DEPTH) steps (its first HEAD_DIM do the work), so o[qp][d]
// is read again no sooner than its update's latency; the loops are a perfect nest that Vitis
// flattens into ONE pipeline per call (the block's probabilities are taken at its step 0).
template <class CFG>
void attention_av(unsigned heads, hls::stream<prob_block<CFG>, 2> &probs, hls::stream<kv_col<CFG>, CFG::KV_FIFO_DEPTH> &vcols,
                  hls::stream<oacc_col<CFG>, CFG::HEAD_DIM> &ocols) {
  UBIMOE_PROCESS("attention_av");
  typedef typename CFG::TIMING TM;
  const unsigned N = CFG::TOKENS, HD = CFG::HEAD_DIM, QP = CFG::Q_PAR, KB = CFG::KEY_BLOCK;
  const unsigned NB = CFG::KEY_BLOCKS, AV_STEPS = CFG::AV_STEPS;
  static_assert(AV_STEPS >= HD && AV_STEPS >= TM::ATTN_AV_DEPTH, "a block's steps cover head_dim and o's update latency");
  typename CFG::oacc_t o[QP][HD];
  // the head's values, d-major, a bank per key of a block (kept from the first group's pass)
  static typename CFG::qkv_t vt[HD][NB][KB];
  prob_block<CFG> pb;  // the block's probabilities, taken at its first step
#pragma HLS ARRAY_PARTITION variable=o complete dim=1
#pragma HLS ARRAY_PARTITION variable=vt complete dim=3
  const unsigned max_heads = CFG::HEADS;
heads:
  for (unsigned h = 0; h < heads; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_heads
  query_groups:
  for (unsigned q0 = 0; q0 < N; q0 += QP) {
  av_blocks:
    for (unsigned b = 0; b < NB; b++) {
    av:
      for (unsigned d = 0; d < AV_STEPS; d++) {
        UBIMOE_PIPELINE(1, TM::ATTN_AV_DEPTH);
        // o[qp][d] is read again AV_STEPS iterations after it is read and written, at least the
        // iteration's latency (the static_assert above): the dependence never binds at II=1
#pragma HLS DEPENDENCE variable=o type=inter direction=RAW false
        if (d == 0) pb = probs.read();
        if (d < HD) {
          oacc_col<CFG> col;
          kv_col<CFG> vc;
          if (q0 == 0) {
            vc = vcols.read();
            for (unsigned kb = 0; kb < KB; kb++) {
#pragma HLS UNROLL
              vt[d][b][kb] = vc.k[kb];
            }
          }
        av_queries:
          for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
            typename CFG::pv_t pv = 0;
          av_keys:
            for (unsigned kb = 0; kb < KB; kb++) {
#pragma HLS UNROLL
              pv += pb.p[qp][kb] * (q0 == 0 ? vc.k[kb] : vt[d][b][kb]);
            }
            // o starts at 0: o·corr + pv is then exactly pv
            const typename CFG::oacc_t acc =
                b == 0 ? typename CFG::oacc_t(pv)
                       : typename CFG::oacc_t(typename CFG::oacc_t(o[qp][d] * pb.corr[qp]) + typename CFG::oacc_t(pv));
            o[qp][d] = acc;
            col.o[qp] = acc;
          }
          if (b == NB - 1) ocols.write(col);
        }
      }
    }
  }
  }
}

// Stage 4: out = o / l (l >= 1: the max key contributes e^0). Per group: the rows' reciprocals on
// one pipelined reciprocal unit, which also counts each row's place in out (group, lane: og, ol ->
// rg[qp], rl[qp]), then the normalise pass, OUT_ROWS rows per cycle: OUT_ROWS = min(LANES, Q_PAR)
// consecutive rows, so each in its own lane bank (latency.ts attentionOutRows; one row with one
// lane). The writes are by lane, an unrolled index: lane bank l takes the step's row that falls in
// it (the rows' lanes rotate with the group's first lane: a mux of the step's OUT_ROWS values), so
// each bank sees at most one write a cycle, through one port; the other is left to msa_block's
// proj, which reads out in the same region call. It overlaps the next group's blocks.
template <class CFG>
void attention_finish(unsigned h0, unsigned heads, hls::stream<lsum_rows<CFG>, 2> &lsums, hls::stream<oacc_col<CFG>, CFG::HEAD_DIM> &ocols,
                      typename CFG::out_t out[CFG::ROW_GROUPS][CFG::LANES][CFG::DIM]) {
  UBIMOE_PROCESS("attention_finish");
  typedef typename CFG::TIMING TM;
  const unsigned N = CFG::TOKENS, HD = CFG::HEAD_DIM, QP = CFG::Q_PAR;
  const unsigned OR = CFG::OUT_ROWS, ROW_STEPS = CFG::OUT_ROW_STEPS, L = CFG::LANES;
  typedef ap_fixed<CFG::ONORM_BITS + 25, CFG::ONORM_BITS + 25 - CFG::ONORM_FRAC - 24> prod_t;
  typename CFG::mant_t mant[QP];
  int exp2[QP];
  typename CFG::lsum_t l[QP];
  typename CFG::oacc_t o[QP];  // the column being normalised
  unsigned rg[QP], rl[QP];     // the group's rows in out: group, lane
#pragma HLS ARRAY_PARTITION variable=rg complete
#pragma HLS ARRAY_PARTITION variable=rl complete
#pragma HLS ARRAY_PARTITION variable=mant complete
#pragma HLS ARRAY_PARTITION variable=exp2 complete
#pragma HLS ARRAY_PARTITION variable=l complete
#pragma HLS ARRAY_PARTITION variable=o complete
  const unsigned max_heads = CFG::HEADS;
heads:
  for (unsigned h = h0; h < h0 + heads; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=max_heads
    unsigned og = 0, ol = 0;  // row q0 + qp of the recips loop in out: group, lane
  query_groups:
    for (unsigned q0 = 0; q0 < N; q0 += QP) {
      const lsum_rows<CFG> ls = lsums.read();
    unpack_lsums:
      for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
        l[qp] = ls.l[qp];
      }
    recips:
      for (unsigned qp = 0; qp < QP; qp++) {
        UBIMOE_PIPELINE(1, TM::RECIP_CYCLES);
        ap_uint<25> mant_bits;
        recip_q24<CFG::LSUM_BITS, CFG::LSUM_FRAC>(bits_of<CFG::LSUM_BITS>(l[qp]), mant_bits, exp2[qp]);
        mant[qp] = from_bits<typename CFG::mant_t, 25>(mant_bits);
        rg[qp] = og;
        rl[qp] = ol;
        const bool wrap = ol == L - 1;
        ol = wrap ? 0 : ol + 1;
        og = wrap ? og + 1 : og;
      }
    normalise:
      for (unsigned d = 0; d < HD; d++) {
        for (unsigned s = 0; s < ROW_STEPS; s++) {
          UBIMOE_PIPELINE(1, TM::ATTN_NORMALISE_DEPTH);
          if (s == 0) {
            const oacc_col<CFG> col = ocols.read();
            for (unsigned qp = 0; qp < QP; qp++) {
#pragma HLS UNROLL
              o[qp] = col.o[qp];
            }
          }
          // the step's rows s·OR + e (e < OR): normalised on OR multipliers; row s·OR's lane
          const unsigned first = s * OR < QP ? s * OR : 0;
          const unsigned lane0 = rl[first];
          typename CFG::out_t v[OR];
          bool valid[OR];
          unsigned grp[OR];
#pragma HLS ARRAY_PARTITION variable=v complete
#pragma HLS ARRAY_PARTITION variable=valid complete
#pragma HLS ARRAY_PARTITION variable=grp complete
        normalise_rows:
          for (unsigned e = 0; e < OR; e++) {
#pragma HLS UNROLL
            const unsigned qp = s * OR + e;
            valid[e] = qp < QP && q0 + qp < N;
            const unsigned row = valid[e] ? qp : first;
            const prod_t p = typename CFG::onorm_t(o[row]) * mant[row];
            v[e] = scale_pow2<prod_t, CFG::ONORM_BITS + 25>(p, exp2[row]);
            grp[e] = rg[row];
          }
        lane_writes:
          for (unsigned l = 0; l < L; l++) {
#pragma HLS UNROLL
            // the step's row in lane l: consecutive rows take consecutive lanes from lane0
            const unsigned e = l >= lane0 ? l - lane0 : l + L - lane0;
            if (e < OR && valid[e]) out[grp[e]][l][h * HD + d] = v[e];
          }
        }
      }
    }
  }
}

}  // namespace ubimoe

#endif
