// Exact stage, system-library target: the C surface of GMP that AdjointExact calls.
//
// Every public GMP name (`mpq_add`, `mpz_sqrt`, ...) is a preprocessor macro that
// renames a real function (`__gmpq_add`, `__gmpz_sqrt`, ...). Swift imports the real
// functions, so AdjointExact calls them by their `__gmpq_*` / `__gmpz_*` names: that
// keeps this header to the few names that are function-like macros (they expand to
// field accesses, which Swift cannot import) and spares a wrapper per function.
// The shims below are those macros as `static inline` functions, named after the
// macro with an `adjoint_` prefix so they cannot collide with GMP's own names.
#ifndef ADJOINT_CGMP_SHIM_H
#define ADJOINT_CGMP_SHIM_H

#include <gmp.h>

/// The numerator of `q` (GMP's `mpq_numref`): an mpz_t living inside q, never cleared on its own.
static inline mpz_ptr adjoint_mpq_numref(mpq_ptr q) { return mpq_numref(q); }

/// The denominator of `q` (GMP's `mpq_denref`); positive whenever q is canonical.
static inline mpz_ptr adjoint_mpq_denref(mpq_ptr q) { return mpq_denref(q); }

/// The sign of `q` as -1, 0 or 1 (GMP's `mpq_sgn`).
static inline int adjoint_mpq_sgn(mpq_srcptr q) { return mpq_sgn(q); }

/// The sign of `z` as -1, 0 or 1 (GMP's `mpz_sgn`).
static inline int adjoint_mpz_sgn(mpz_srcptr z) { return mpz_sgn(z); }

/// Whether `z` is odd (GMP's `mpz_odd_p`).
static inline int adjoint_mpz_odd_p(mpz_srcptr z) { return mpz_odd_p(z); }

/// `z` compared with `u`: negative, zero or positive (GMP's `mpz_cmp_ui`, a macro over `_mpz_cmp_ui`).
static inline int adjoint_mpz_cmp_ui(mpz_srcptr z, unsigned long u) { return mpz_cmp_ui(z, u); }

#endif
