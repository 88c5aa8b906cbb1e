/* A floor for item (c): 3000 ES steps of the study's problem in plain C.
 *
 * Each ES step runs two antithetic inner runs of 50 SGD-with-momentum steps on
 * log(x^2 + 1 + sin 3x) + 1.5, with the same float32 sin/cos polynomial as
 * metaloss.fastmath, libm's logf, the mean objective, and a clipped SGD update of
 * (log10 lr, log10(1 - momentum)). The two runs are interleaved so the CPU can
 * overlap them; what remains is the latency of 150,000 dependent inner steps.
 * The noise is a cheap stand-in (no RNG), so this is a lower bound on any
 * implementation, not an equal of metaloss's loop. Prints JSON: the best of 7 runs.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

static inline void sincos_poly(float x, float *s, float *c) {
  float k = rintf(x * 0.636619772f);
  float r = x - k * 1.5703125f;
  r = r - k * 4.825592041015625e-4f;
  r = r - k * 1.2665987014770508e-6f;
  r = r - k * 9.920935184482005e-10f;
  float r2 = r * r;
  float ps = -0.16666655242443085f + r2 * (0.00833216030150652f + r2 * -0.00019515282474458218f);
  float pc = 0.04166664555668831f + r2 * (-0.0013887316454201937f + r2 * 2.4433154976577498e-05f);
  float sn = r + r * r2 * ps, cs = (1.0f - 0.5f * r2) + r2 * r2 * pc;
  int q = ((int)k) & 3;
  float a = (q & 1) ? cs : sn, b = (q & 1) ? sn : cs;
  *s = (q >= 2) ? -a : a;
  *c = (q == 1 || q == 2) ? -b : b;
}

static float clip(float g) { return fminf(fmaxf(g, -10.f), 10.f); }

int main(void) {
  const int outer = 3000, inner = 50;
  double best = 1e30;
  float th0 = 0.f, th1 = 0.f;
  for (int rep = 0; rep < 7; rep++) {
    struct timespec t0, t1;
    th0 = -2.0f;
    th1 = -0.5f;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int o = 0; o < outer; o++) {
      float e0 = 0.037f * (float)((o * 7919) % 13 - 6), e1 = 0.029f * (float)((o * 104729) % 11 - 5);
      float lr[2], m[2], x[2] = {-4.f, -4.f}, v[2] = {0.f, 0.f}, sum[2] = {0.f, 0.f};
      for (int lane = 0; lane < 2; lane++) {
        float sg = lane ? -1.f : 1.f;
        lr[lane] = powf(10.f, th0 + 0.1f * sg * e0);
        m[lane] = 1.f - powf(10.f, fminf(th1 + 0.1f * sg * e1, -1e-3f));
      }
      for (int t = 0; t < inner; t++) {
        for (int lane = 0; lane < 2; lane++) {
          float s, c;
          sincos_poly(3.f * x[lane], &s, &c);
          float u = x[lane] * x[lane] + 1.f + s;
          sum[lane] += logf(u) + 1.5f;
          v[lane] = m[lane] * v[lane] + (2.f * x[lane] + 3.f * c) / u;
          x[lane] = x[lane] - lr[lane] * v[lane];
        }
      }
      float diff = (sum[0] - sum[1]) / (float)inner / 0.2f;
      th0 -= 0.01f * clip(diff * e0);
      th1 = fminf(th1 - 0.01f * clip(diff * e1), -1e-3f);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (dt < best) best = dt;
  }
  printf("{\"seconds\": %.6e, \"outer\": %d, \"inner\": %d, \"final\": [%.6f, %.6f]}\n", best, outer,
         inner, th0, th1);
  return 0;
}
