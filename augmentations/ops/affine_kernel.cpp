#include "affine_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace gear::plugins::augmentations::ops {
namespace {

bool is_integer(double v) { return std::floor(v) == v; }

// A whole-pixel shift: Pillow's bilinear filter lands exactly on pixel centres, so the output
// is the input moved by (dx, dy) with zeros where it came from outside.
void shift(const uint8_t* __restrict in, uint8_t* __restrict out, int64_t channels, int64_t h,
           int64_t w, int64_t dx, int64_t dy) {
  std::memset(out, 0, static_cast<size_t>(channels * h * w));
  const int64_t x_begin = std::max<int64_t>(0, -dx), x_end = std::min<int64_t>(w, w - dx);
  if (x_end <= x_begin) return;
  for (int64_t ch = 0; ch < channels; ++ch)
    for (int64_t y = std::max<int64_t>(0, -dy); y < std::min<int64_t>(h, h - dy); ++y)
      std::memcpy(out + (ch * h + y) * w + x_begin, in + (ch * h + y + dy) * w + x_begin + dx,
                  static_cast<size_t>(x_end - x_begin));
}

}  // namespace

// Pillow's Geometry.c affine_transform + bilinear_filter. The products a * (x + 0.5) are computed
// once per column and summed in Pillow's order, so every coordinate is the double Pillow
// computes; the sampling positions and weights are found once per pixel and shared by the
// channels.
void affine_one(const uint8_t* __restrict in, uint8_t* __restrict out, int64_t channels, int64_t h,
                int64_t w, const double* m) {
  const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5];
  if (a == 1.0 && b == 0.0 && d == 0.0 && e == 1.0 && is_integer(c) && is_integer(f) &&
      std::abs(c) < 1e9 && std::abs(f) < 1e9)
    return shift(in, out, channels, h, w, static_cast<int64_t>(c), static_cast<int64_t>(f));
  const double width = static_cast<double>(w), height = static_cast<double>(h);
  const int64_t plane = h * w;
  // Scratch reused across calls on this thread: allocating it per image costs as much as a shear.
  thread_local std::vector<double> ax, dx_term, wx, wy;
  thread_local std::vector<int32_t> i00, i01, i10, i11;
  ax.resize(static_cast<size_t>(w));
  dx_term.resize(ax.size());
  for (auto* v : {&i00, &i01, &i10, &i11}) v->resize(static_cast<size_t>(plane));
  wx.resize(static_cast<size_t>(plane));
  wy.resize(wx.size());
  for (int64_t x = 0; x < w; ++x) {
    ax[x] = a * (static_cast<double>(x) + 0.5);
    dx_term[x] = d * (static_cast<double>(x) + 0.5);
  }
  // Per pixel: the four source offsets (row-major, within one plane) and the two weights; a
  // pixel outside the source gets offset -1.
  for (int64_t y = 0; y < h; ++y) {
    const double by = b * (static_cast<double>(y) + 0.5);
    const double ey = e * (static_cast<double>(y) + 0.5);
    for (int64_t x = 0; x < w; ++x) {
      double xin = ax[x] + by + c;
      double yin = dx_term[x] + ey + f;
      const int64_t o = y * w + x;
      if (!(xin >= 0.0 && xin < width && yin >= 0.0 && yin < height)) {
        i00[o] = -1;
        continue;
      }
      xin -= 0.5;
      yin -= 0.5;
      // xin, yin >= -0.5 here, so truncating (v + 1) - 1 is floor.
      const int64_t ix = static_cast<int64_t>(xin + 1.0) - 1;
      const int64_t iy = static_cast<int64_t>(yin + 1.0) - 1;
      wx[o] = xin - static_cast<double>(ix);
      wy[o] = yin - static_cast<double>(iy);
      const int64_t x0 = ix < 0 ? 0 : ix, x1 = ix + 1 < w ? ix + 1 : w - 1;
      const int64_t y0 = iy < 0 ? 0 : iy;
      // Pillow reads row y + 1 only when it exists; otherwise the second row is the first.
      const int64_t y1 = iy + 1 < h ? iy + 1 : y0;
      i00[o] = static_cast<int32_t>(y0 * w + x0);
      i01[o] = static_cast<int32_t>(y0 * w + x1);
      i10[o] = static_cast<int32_t>(y1 * w + x0);
      i11[o] = static_cast<int32_t>(y1 * w + x1);
    }
  }
  // Shears keep one coordinate on pixel centres: its weight is 0 and Pillow's second
  // interpolation adds exactly 0, so two taps give the same values as four.
  const bool rows_exact = d == 0.0 && e == 1.0 && is_integer(f);
  const bool columns_exact = a == 1.0 && b == 0.0 && is_integer(c);
  for (int64_t ch = 0; ch < channels; ++ch) {
    const uint8_t* p = in + ch * plane;
    uint8_t* q = out + ch * plane;
    if (rows_exact) {
      for (int64_t o = 0; o < plane; ++o) {
        if (i00[o] < 0) {
          q[o] = 0;
          continue;
        }
        const double a0 = p[i00[o]], a1 = p[i01[o]];
        q[o] = static_cast<uint8_t>(a0 + (a1 - a0) * wx[o]);
      }
      continue;
    }
    if (columns_exact) {
      for (int64_t o = 0; o < plane; ++o) {
        if (i00[o] < 0) {
          q[o] = 0;
          continue;
        }
        const double a0 = p[i00[o]], b0 = p[i10[o]];
        q[o] = static_cast<uint8_t>(a0 + (b0 - a0) * wy[o]);
      }
      continue;
    }
    for (int64_t o = 0; o < plane; ++o) {
      if (i00[o] < 0) {
        q[o] = 0;
        continue;
      }
      const double a0 = p[i00[o]], a1 = p[i01[o]], b0 = p[i10[o]], b1 = p[i11[o]];
      const double v1 = a0 + (a1 - a0) * wx[o];
      const double v2 = b0 + (b1 - b0) * wx[o];
      q[o] = static_cast<uint8_t>(v1 + (v2 - v1) * wy[o]);
    }
  }
}

}  // namespace gear::plugins::augmentations::ops
