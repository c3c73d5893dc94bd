// An LSTM layer on the CPU in C++: forward and hand-written backpropagation
// through time (chapter 10).
//
// Registered as two PyTorch operators in the namespace `lstm_companion`
// (TORCH_LIBRARY); the Python side (cpp.py, beside this file) compiles this
// file on first use, registers their fake (meta) implementations and joins
// them with torch.library.register_autograd.
//
// Layout, as the companion's fused LSTMs (base.py, beside this file):
// time-major X (T, B, d); 2-D states H0, C0 (B, h); W_x = weight_ih_l0^T
// (d, 4h), W_h = weight_hh_l0^T (h, 4h), b = bias_ih_l0 + bias_hh_l0 (4h); the
// four column blocks in nn.LSTM's gate order (i, f, g, o), g being the
// candidate cell.
//
//   lstm_forward(X, H0, C0, W_x, W_h, b) -> (Hs, H_n, C_n, gates, cells,
//   tanh_cells)
//     Hs (T, B, h) the outputs; H_n, C_n (B, h) the final state; what the
//     backward pass needs: gates (T, B, 4h) the activations [I, F, C~, O] of
//     every step, cells (T, B, h) C_1 ... C_T and tanh_cells (T, B, h)
//     tanh(C_1) ... tanh(C_T).
//   lstm_backward(dHs, dH_n, dC_n, X, H0, C0, W_x, W_h, Hs, gates, cells,
//   tanh_cells, output_mask)
//     -> (dX, dH0, dC0, dW_x, dW_h, db); a gradient whose output_mask entry is
//     false is not computed and comes back as an empty tensor.
//
// float32 and float64 only. The products go to ATen (MKL or OpenBLAS); the gate
// nonlinearities and the state update of a step are one fused loop over the
// batch rows (parallel when built with OpenMP).

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>

namespace {

using at::Tensor;

// ---- the pointwise math
//
// float32: exp and tanh written out (Cephes' polynomials; exp within 2 ulp,
// tanh within 3 ulp of the exact values) so that the compiler vectorises the
// loops below; glibc's expf and tanhf are calls it cannot vectorise, and they
// made the forward pass three times slower. Inputs are clamped to where exp is
// a normal float (|x| < 87), which changes nothing visible in a sigmoid or
// tanh; NaN propagates. float64: the standard library's exp and tanh.

#if defined(__GNUC__)
#define LSTM_INLINE inline __attribute__((always_inline))
#else
#define LSTM_INLINE inline
#define __restrict__ __restrict
#endif

LSTM_INLINE float bits_to_float(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

LSTM_INLINE std::uint32_t float_to_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

LSTM_INLINE float exp_(float x) {
  // written so that a NaN passes through both
  x = std::min(std::max(x, -87.0f), 87.0f);
  // 1.5 * 2^23: adding it rounds x log2(e) to an integer n
  const float shifter = 12582912.0f;
  const float t = x * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  // n as an integer
  const std::uint32_t n_bits = float_to_bits(t) - float_to_bits(shifter);
  // x - n ln 2, in two parts (Cody-Waite)
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;  // exp(r) on |r| <= ln(2) / 2
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * bits_to_float((n_bits + 127u) << 23);  // exp(x) = 2^n exp(r)
}

LSTM_INLINE float tanh_(float x) {
  const float ax = std::fabs(x);
  const float large = std::copysign(1.0f - 2.0f / (exp_(2.0f * ax) + 1.0f), x);
  const float z = x * x;  // |x| <= 0.625: an odd polynomial
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  return ax > 0.625f ? large : small;
}

LSTM_INLINE double exp_(double x) { return std::exp(x); }
LSTM_INLINE double tanh_(double x) { return std::tanh(x); }

template <typename scalar_t>
LSTM_INLINE scalar_t sigmoid_(scalar_t x) {
  return scalar_t(1) / (scalar_t(1) + exp_(-x));
}

// One step's fused pointwise work on the batch rows [begin, end): the gates,
// the new cell and hidden state. z (B, 4h) holds the pre-activations without
// the bias on entry (b is added here, in the same pass) and the activations
// [I, F, C~, O] on exit.
template <typename scalar_t>
LSTM_INLINE void forward_rows(scalar_t* __restrict__ z,
                              const scalar_t* __restrict__ b,
                              const scalar_t* __restrict__ c_prev,
                              scalar_t* __restrict__ c_out,
                              scalar_t* __restrict__ tc_out,
                              scalar_t* __restrict__ h_out, int64_t begin,
                              int64_t end, int64_t h) {
  for (int64_t r = begin; r < end; ++r) {
    scalar_t* __restrict__ zr = z + r * 4 * h;
    const int64_t o = r * h;
    for (int64_t j = 0; j < h; ++j) {
      const scalar_t i = sigmoid_(zr[j] + b[j]);
      const scalar_t f = sigmoid_(zr[h + j] + b[h + j]);
      const scalar_t g = tanh_(zr[2 * h + j] + b[2 * h + j]);
      const scalar_t og = sigmoid_(zr[3 * h + j] + b[3 * h + j]);
      // C_t = F_t C_{t-1} + I_t C~_t
      const scalar_t c = f * c_prev[o + j] + i * g;
      const scalar_t tc = tanh_(c);
      zr[j] = i;
      zr[h + j] = f;
      zr[2 * h + j] = g;
      zr[3 * h + j] = og;
      c_out[o + j] = c;
      tc_out[o + j] = tc;
      h_out[o + j] = og * tc;  // H_t = O_t tanh(C_t)
    }
  }
}

// One step of the backward sweep on the batch rows [begin, end): from the
// gradients reaching H_t (dh, plus the output's own dh_out) and C_t (dc) to the
// pre-activations' gradients dz (B, 4h); dc becomes the gradient reaching
// C_{t-1}.
template <typename scalar_t>
LSTM_INLINE void backward_rows(
    const scalar_t* __restrict__ a, const scalar_t* __restrict__ c_prev,
    const scalar_t* __restrict__ tc, const scalar_t* __restrict__ dh_in,
    const scalar_t* __restrict__ dh_out, scalar_t* __restrict__ dc_io,
    scalar_t* __restrict__ dz, int64_t begin, int64_t end, int64_t h) {
  for (int64_t r = begin; r < end; ++r) {
    const scalar_t* __restrict__ ar = a + r * 4 * h;
    scalar_t* __restrict__ dzr = dz + r * 4 * h;
    const int64_t o = r * h;
    for (int64_t j = 0; j < h; ++j) {
      const int64_t k = o + j;
      const scalar_t i = ar[j], f = ar[h + j], g = ar[2 * h + j],
                     og = ar[3 * h + j];
      // H_t is an output too: add its own gradient
      const scalar_t dh = dh_in[k] + dh_out[k];
      const scalar_t tck = tc[k];
      // H_t = O_t tanh(C_t): the gradient reaches O_t and, through tanh, C_t
      const scalar_t dc = dc_io[k] + dh * og * (scalar_t(1) - tck * tck);
      // C_t = F_t C_{t-1} + I_t C~_t; then through sigmoid' = s (1 - s) and
      // tanh' = 1 - tanh^2
      dzr[j] = dc * g * i * (scalar_t(1) - i);
      dzr[h + j] = dc * c_prev[k] * f * (scalar_t(1) - f);
      dzr[2 * h + j] = dc * i * (scalar_t(1) - g * g);
      dzr[3 * h + j] = dh * tck * og * (scalar_t(1) - og);
      dc_io[k] = dc * f;  // C_{t-1} reaches C_t only through F_t
    }
  }
}

// With GCC on x86-64 Linux each row kernel is built twice, for AVX2 and for the
// baseline, and the loader picks the one the CPU runs (the same results: no FMA
// contraction either way).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define LSTM_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define LSTM_MULTIVERSION
#endif

#define LSTM_ROW_KERNELS(T)                                                    \
  LSTM_MULTIVERSION void forward_rows_##T(                                     \
      T* z, const T* b, const T* c_prev, T* c_out, T* tc_out, T* h_out,        \
      int64_t begin, int64_t end, int64_t h) {                                 \
    forward_rows<T>(z, b, c_prev, c_out, tc_out, h_out, begin, end, h);        \
  }                                                                            \
  LSTM_MULTIVERSION void backward_rows_##T(                                    \
      const T* a, const T* c_prev, const T* tc, const T* dh_in,                \
      const T* dh_out, T* dc_io, T* dz, int64_t begin, int64_t end,            \
      int64_t h) {                                                             \
    backward_rows<T>(a, c_prev, tc, dh_in, dh_out, dc_io, dz, begin, end, h);  \
  }                                                                            \
  inline void row_forward(T* z, const T* b, const T* c_prev, T* c_out,         \
                          T* tc_out, T* h_out, int64_t begin, int64_t end,     \
                          int64_t h) {                                         \
    forward_rows_##T(z, b, c_prev, c_out, tc_out, h_out, begin, end, h);       \
  }                                                                            \
  inline void row_backward(const T* a, const T* c_prev, const T* tc,           \
                           const T* dh_in, const T* dh_out, T* dc_io, T* dz,   \
                           int64_t begin, int64_t end, int64_t h) {            \
    backward_rows_##T(a, c_prev, tc, dh_in, dh_out, dc_io, dz, begin, end, h); \
  }

LSTM_ROW_KERNELS(float)
LSTM_ROW_KERNELS(double)

// Rows of the batch per parallel chunk: about 4096 elements of the state each,
// so that a small step runs on one thread and a large one is split.
inline int64_t row_grain(int64_t h) {
  return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, h));
}

void check_inputs(const Tensor& X, const Tensor& H0, const Tensor& C0,
                  const Tensor& W_x, const Tensor& W_h, const Tensor& b) {
  TORCH_CHECK(
      X.dim() == 3,
      "lstm_forward: X must be (num_steps, batch_size, num_inputs), got shape ",
      X.sizes());
  const int64_t T = X.size(0), B = X.size(1), d = X.size(2);
  TORCH_CHECK(T > 0 && B > 0 && d > 0,
              "lstm_forward: X must not be empty, got shape ", X.sizes());
  TORCH_CHECK(
      W_h.dim() == 2 && W_h.size(0) > 0 && W_h.size(1) == 4 * W_h.size(0),
      "lstm_forward: W_h must be (num_hiddens, 4 * num_hiddens), got shape ",
      W_h.sizes());
  const int64_t h = W_h.size(0);
  TORCH_CHECK(W_x.dim() == 2 && W_x.size(0) == d && W_x.size(1) == 4 * h,
              "lstm_forward: W_x must be (", d, ", ", 4 * h, "), got shape ",
              W_x.sizes());
  TORCH_CHECK(b.dim() == 1 && b.size(0) == 4 * h, "lstm_forward: b must be (",
              4 * h, ",), got shape ", b.sizes());
  TORCH_CHECK(H0.dim() == 2 && H0.size(0) == B && H0.size(1) == h,
              "lstm_forward: H0 must be (", B, ", ", h, "), got shape ",
              H0.sizes());
  TORCH_CHECK(C0.dim() == 2 && C0.size(0) == B && C0.size(1) == h,
              "lstm_forward: C0 must be (", B, ", ", h, "), got shape ",
              C0.sizes());
  const auto dtype = X.scalar_type();
  TORCH_CHECK(dtype == at::kFloat || dtype == at::kDouble,
              "lstm_forward: only float32 and float64 are supported, got ",
              dtype);
  for (const Tensor* t : {&X, &H0, &C0, &W_x, &W_h, &b}) {
    TORCH_CHECK(t->scalar_type() == dtype,
                "lstm_forward: all tensors must have X's dtype ", dtype,
                ", got ", t->scalar_type());
    TORCH_CHECK(t->device().is_cpu(),
                "lstm_forward: all tensors must be on the CPU, got ",
                t->device());
  }
}

// The forward operator: the input projection of all steps in one product, then
// per step one recurrent product and the fused pointwise work (forward_rows).
std::tuple<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor> lstm_forward(
    const Tensor& X_in, const Tensor& H0_in, const Tensor& C0_in,
    const Tensor& W_x, const Tensor& W_h, const Tensor& b) {
  check_inputs(X_in, H0_in, C0_in, W_x, W_h, b);
  const Tensor X = X_in.contiguous(), H0 = H0_in.contiguous(),
               C0 = C0_in.contiguous();
  const int64_t T = X.size(0), B = X.size(1), d = X.size(2), h = W_h.size(0);
  // The input projection of every step in one product: (T B, d) @ (d, 4h); the
  // bias is added in the pointwise pass (addmm would first copy it into all
  // T B rows). Each step then adds its recurrent product in place, and the
  // loop below overwrites the pre-activations with the activations.
  Tensor gates = at::mm(X.view({T * B, d}), W_x).view({T, B, 4 * h});
  const Tensor bias = b.contiguous();
  Tensor Hs = at::empty({T, B, h}, X.options());
  Tensor cells = at::empty({T, B, h}, X.options());
  Tensor tanh_cells = at::empty({T, B, h}, X.options());
  AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "lstm_forward", [&] {
    for (int64_t t = 0; t < T; ++t) {
      Tensor Z = gates[t];  // (B, 4h), contiguous: X_t W_x
      // + H_{t-1} W_h: the one product of the step
      Z.addmm_(t == 0 ? H0 : Hs[t - 1], W_h);
      scalar_t* z = Z.data_ptr<scalar_t>();
      const scalar_t* c_prev =
          (t == 0 ? C0 : cells[t - 1]).data_ptr<scalar_t>();
      scalar_t* c_out = cells[t].data_ptr<scalar_t>();
      scalar_t* tc_out = tanh_cells[t].data_ptr<scalar_t>();
      scalar_t* h_out = Hs[t].data_ptr<scalar_t>();
      at::parallel_for(0, B, row_grain(h), [&](int64_t begin, int64_t end) {
        row_forward(z, bias.data_ptr<scalar_t>(), c_prev, c_out, tc_out, h_out,
                    begin, end, h);
      });
    }
  });
  return {Hs,    Hs[T - 1].clone(), cells[T - 1].clone(), gates,
          cells, tanh_cells};
}

// The backward operator: the sweep from the last step to the first
// (backward_rows, then one product per step), then each parameter's gradient
// as one product over all steps.
std::tuple<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor> lstm_backward(
    const Tensor& dHs_in, const Tensor& dH_n, const Tensor& dC_n,
    const Tensor& X_in, const Tensor& H0_in, const Tensor& C0_in,
    const Tensor& W_x, const Tensor& W_h, const Tensor& Hs_in,
    const Tensor& gates_in, const Tensor& cells_in, const Tensor& tanh_cells_in,
    std::array<bool, 6> output_mask) {
  check_inputs(X_in, H0_in, C0_in, W_x, W_h, W_h.new_empty({4 * W_h.size(0)}));
  const Tensor X = X_in.contiguous(), H0 = H0_in.contiguous(),
               C0 = C0_in.contiguous();
  const int64_t T = X.size(0), B = X.size(1), d = X.size(2), h = W_h.size(0);
  const Tensor dHs = dHs_in.contiguous(), Hs = Hs_in.contiguous(),
               gates = gates_in.contiguous();
  const Tensor cells = cells_in.contiguous(),
               tanh_cells = tanh_cells_in.contiguous();
  TORCH_CHECK(
      dHs.sizes() == Hs.sizes() && Hs.sizes() == at::IntArrayRef({T, B, h}),
      "lstm_backward: dHs and Hs must be (T, B, h)");
  TORCH_CHECK(gates.sizes() == at::IntArrayRef({T, B, 4 * h}),
              "lstm_backward: gates must be (T, B, 4h)");
  TORCH_CHECK(cells.sizes() == Hs.sizes() && tanh_cells.sizes() == Hs.sizes(),
              "lstm_backward: cells and tanh_cells must be (T, B, h)");
  TORCH_CHECK(dH_n.sizes() == H0.sizes() && dC_n.sizes() == H0.sizes(),
              "lstm_backward: dH_n and dC_n must be (B, h)");
  for (const Tensor* t :
       {&dHs, &dH_n, &dC_n, &Hs, &gates, &cells, &tanh_cells}) {
    TORCH_CHECK(t->scalar_type() == X.scalar_type() && t->device().is_cpu(),
                "lstm_backward: all tensors must be CPU tensors of X's dtype ",
                X.scalar_type());
  }
  // gradients of the pre-activations of every step
  Tensor dZ = at::empty({T, B, 4 * h}, X.options());
  // (B, h): the gradient reaching H_t from later steps
  Tensor dH = dH_n.contiguous().clone();
  Tensor dC = dC_n.contiguous().clone();  // (B, h): ... reaching C_t
  // (4h, h), a transposed view: the BLAS reads it as is
  const Tensor W_hT = W_h.t();
  AT_DISPATCH_FLOATING_TYPES(X.scalar_type(), "lstm_backward", [&] {
    scalar_t* dh_p = dH.data_ptr<scalar_t>();
    scalar_t* dc_p = dC.data_ptr<scalar_t>();
    for (int64_t t = T - 1; t >= 0; --t) {
      // (B, 4h): I, F, C~, O
      const scalar_t* a = gates[t].data_ptr<scalar_t>();
      const scalar_t* c_prev =
          (t == 0 ? C0 : cells[t - 1]).data_ptr<scalar_t>();
      const scalar_t* tc = tanh_cells[t].data_ptr<scalar_t>();
      const scalar_t* dh_out = dHs[t].data_ptr<scalar_t>();
      Tensor dZ_t = dZ[t];
      scalar_t* dz = dZ_t.data_ptr<scalar_t>();
      at::parallel_for(0, B, row_grain(h), [&](int64_t begin, int64_t end) {
        row_backward(a, c_prev, tc, dh_p, dh_out, dc_p, dz, begin, end, h);
      });
      // Z_t = ... + H_{t-1} W_h: the gradient reaching H_{t-1}
      at::mm_out(dH, dZ_t, W_hT);
    }
  });
  // After the sweep, every other gradient is one product over all T B rows.
  const Tensor dZ2 = dZ.view({T * B, 4 * h});
  // a fresh one each: outputs must not alias
  const auto none = [&] { return at::empty({0}, X.options()); };
  Tensor dX = output_mask[0] ? at::mm(dZ2, W_x.t()).view({T, B, d}) : none();
  // sum_t X_t^T dZ_t
  Tensor dW_x = output_mask[3] ? at::mm(X.view({T * B, d}).t(), dZ2) : none();
  Tensor dW_h = none();
  if (output_mask[4]) {
    // H_0 ... H_{T-1}
    const Tensor H_prev =
        at::cat({H0.unsqueeze(0), Hs.narrow(0, 0, T - 1)}).view({T * B, h});
    dW_h = at::mm(H_prev.t(), dZ2);  // sum_t H_{t-1}^T dZ_t
  }
  Tensor db = output_mask[5] ? dZ2.sum(0) : none();
  return {dX,
          output_mask[1] ? dH : none(),
          output_mask[2] ? dC : none(),
          dW_x,
          dW_h,
          db};
}

}  // namespace

TORCH_LIBRARY(lstm_companion, m) {
  m.def(
      "lstm_forward(Tensor X, Tensor H0, Tensor C0, Tensor W_x, Tensor W_h, "
      "Tensor b)"
      " -> (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)");
  m.def(
      "lstm_backward(Tensor dHs, Tensor dH_n, Tensor dC_n, Tensor X, Tensor "
      "H0, Tensor C0, Tensor W_x,"
      " Tensor W_h, Tensor Hs, Tensor gates, Tensor cells, Tensor tanh_cells, "
      "bool[6] output_mask)"
      " -> (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)");
}

TORCH_LIBRARY_IMPL(lstm_companion, CPU, m) {
  m.impl("lstm_forward", &lstm_forward);
  m.impl("lstm_backward", &lstm_backward);
}
