/* par.h: the tools' parallel layer.  Built --with-mpi, paths are split
   across MPI ranks by canonical chunk and the exact integer sums are
   reduced with MPI_SUM, so a table is bitwise the same for any number of
   ranks; rank 0 alone writes.  Without MPI these are one-process
   stand-ins.  */
#ifndef SDEKIT_PAR_H
#define SDEKIT_PAR_H

#include <stdint.h>

#include "sdekit/ensemble.h"

/* MPI_Init (when built with MPI); non-root ranks send stdout to
   /dev/null.  */
void par_init (int *argc, char ***argv);
void par_finalize (void);
int par_rank (void);
int par_size (void);

/* sde_ensemble_run over paths [path0, path0 + npaths) shared by the
   ranks, each taking a contiguous block of chunks, the sums reduced into
   S on every rank.  CTX is unused (the signature of sde_weak_sweep.run). */
int par_run (void *ctx, const sde_ensemble *e, uint64_t path0, uint64_t npaths,
             sde_ensemble_sums *s);

/* Collective: nonzero on every rank when BAD is nonzero on any.  */
int par_agree (int bad);

/* Ends every rank with STATUS (MPI_Abort under MPI, exit otherwise).  */
void par_abort (int status) __attribute__ ((noreturn));

#endif /* SDEKIT_PAR_H */
