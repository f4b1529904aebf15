/* simd.h: per-CPU clones of vectorisable loops (not installed).  Clones
   differ only in instruction selection: with -ffp-contract=off and explicit
   fma() they give bitwise identical results.  */
#ifndef SDEKIT_SIMD_H
#define SDEKIT_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)            \
    && defined(__linux__) && __GNUC__ >= 11
#define SDE_CLONES                                                             \
  __attribute__ ((                                                             \
      target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SDE_CLONES
#endif

#endif /* SDEKIT_SIMD_H */
