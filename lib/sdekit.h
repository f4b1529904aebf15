/* sdekit.h: umbrella header of libsdekit, numerical SDEs for the study of
   stochastic gradient methods through their SDE limits.  */
#ifndef SDEKIT_H
#define SDEKIT_H

#include <sdekit/rng.h>

#endif /* SDEKIT_H */
