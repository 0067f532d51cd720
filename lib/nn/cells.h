// The three recurrent cells, one time step each, every cell's forward beside its backward.
// Recurrent<T> (rnn_layers.h) runs them over the steps of a chunk; these functions know nothing
// of chunks, workspaces or statistics. They work on one step's column blocks, B columns each
// (one per sequence of the batch), H = the layer's hidden size:
//
//   pre    (G, B)  on entry the pre-activations W_ih x_t + b_ih, plus W_hh h_{t-1} + b_hh for
//                  the RNN and the LSTM (the layer adds it: one product per block of gates);
//                  forward overwrites them with the activated gates, which backward reads.
//   d      (G, B)  backward's output: dL/d(pre), the deltas of the gates' pre-activations.
//   dh     (H, B)  dL/dh_t: from the layer above, or the readout, plus step t + 1's term.
//
// G = H (RNN), 4H [i; f; g; o] (LSTM), 3H [r; z; n] (GRU), the gate order of PyTorch.
#pragma once

#include "nn/activation.h"

namespace nnlab::cells {

// ---- Elman RNN: h_t = act(z_t), z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh ------------------

template <typename T>
void rnn_forward(const ActivationFn& act, auto&& pre, auto&& h_next) {
  act.forward(pre, h_next);
}

// d = dL/dz_t = act'(z_t) dL/dh_t (act' from z_t, or from h_t where that is cheaper).
template <typename T>
void rnn_backward(const ActivationFn& act, const auto& dh, const auto& pre, const auto& h_next,
                  auto&& d) {
  act.backward(dh, pre, h_next, d);
}

// ---- LSTM: [i; f; g; o] = [σ; σ; tanh; σ](pre), c_t = f c_{t-1} + i g, h_t = o tanh(c_t) ------

// tanh_c keeps tanh(c_t) for backward.
template <typename T>
void lstm_forward(auto&& pre, const auto& c_prev, auto&& c_next, auto&& tanh_c, auto&& h_next,
                  int H) {
  auto if_gates = pre.topRows(2 * H);
  auto o = pre.bottomRows(H);
  auto cand = pre.middleRows(2 * H, H);
  if_gates.array() = (T(1) + (-if_gates.array()).exp()).inverse();
  o.array() = (T(1) + (-o.array()).exp()).inverse();
  cand.array() = cand.array().tanh();
  c_next.array() = pre.middleRows(H, H).array() * c_prev.array() +
                   pre.topRows(H).array() * cand.array();
  tanh_c.array() = c_next.array().tanh();
  h_next.array() = o.array() * tanh_c.array();
}

// dc (H, B) carries the cell state's gradient between steps: on entry f_{t+1} dL/dc_{t+1} from
// the step after (unused at the chunk's last step, `last`), in the middle dL/dc_t (its norm goes
// to *cell_norm when not null: time_grad_norms.csv's cell_grad_norm), on exit f_t dL/dc_t for
// the step before.
template <typename T>
void lstm_backward(const auto& dh, const auto& pre, const auto& c_prev, const auto& tanh_c,
                   Mat<T>& dc, bool last, double* cell_norm, auto&& d, int H) {
  const auto i = pre.topRows(H).array(), f = pre.middleRows(H, H).array();
  const auto cand = pre.middleRows(2 * H, H).array(), o = pre.bottomRows(H).array();
  const auto tc = tanh_c.array();
  auto dca = dc.array();
  if (last)
    dca = dh.array() * o * (T(1) - tc.square());
  else
    dca += dh.array() * o * (T(1) - tc.square());
  if (cell_norm) *cell_norm = static_cast<double>(dc.norm());
  d.topRows(H).array() = dca * cand * i * (T(1) - i);
  d.middleRows(H, H).array() = dca * c_prev.array() * f * (T(1) - f);
  d.middleRows(2 * H, H).array() = dca * i * (T(1) - cand.square());
  d.bottomRows(H).array() = dh.array() * tc * o * (T(1) - o);
  dca *= f;
}

// ---- GRU: [r; z] = σ(pre_rz + hw_rz), n = tanh(pre_n + r hw_n), h_t = (1 - z) n + z h_{t-1} ----
// hw (G, B) = W_hh h_{t-1} + b_hh, which the layer computes (the candidate's part is gated by r,
// so it cannot be added to pre); hn keeps hw_n for backward.

template <typename T>
void gru_forward(auto&& pre, const auto& hw, auto&& hn, const auto& h_prev, auto&& h_next, int H) {
  auto rz = pre.topRows(2 * H);
  rz.array() = (T(1) + (-(rz.array() + hw.topRows(2 * H).array())).exp()).inverse();
  hn = hw.bottomRows(H);
  auto n = pre.bottomRows(H);
  n.array() = (n.array() + pre.topRows(H).array() * hn.array()).tanh();
  h_next.array() = n.array() + pre.middleRows(H, H).array() * (h_prev.array() - n.array());
}

// dhh (G, B) gets dL/d(W_hh h_{t-1} + b_hh), which differs from d in the candidate's rows;
// add_to_dh_prev(term) receives the direct term z dL/dh_t of dL/dh_{t-1} (the layer drops it at
// the chunk's first step).
template <typename T>
void gru_backward(const auto& dh, const auto& pre, const auto& hn, const auto& h_prev, auto&& d,
                  auto&& dhh, auto&& add_to_dh_prev, int H) {
  const auto r = pre.topRows(H).array(), z = pre.middleRows(H, H).array();
  const auto n = pre.bottomRows(H).array();
  const auto hna = hn.array();
  const auto hp = h_prev.array();
  d.bottomRows(H).array() = dh.array() * (T(1) - z) * (T(1) - n.square());
  d.middleRows(H, H).array() = dh.array() * (hp - n) * z * (T(1) - z);
  d.topRows(H).array() = d.bottomRows(H).array() * hna * r * (T(1) - r);
  dhh.topRows(2 * H) = d.topRows(2 * H);
  dhh.bottomRows(H).array() = d.bottomRows(H).array() * r;
  add_to_dh_prev(dh.array() * z);
}

}  // namespace nnlab::cells
