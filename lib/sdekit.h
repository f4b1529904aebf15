/* sdekit.h: umbrella header of libsdekit, numerical SDEs for the study of
   stochastic gradient methods through their SDE limits.  */
#ifndef SDEKIT_H
#define SDEKIT_H

#include <sdekit/density.h>
#include <sdekit/density_slow.h>
#include <sdekit/ensemble.h>
#include <sdekit/exact.h>
#include <sdekit/experiment.h>
#include <sdekit/expr.h>
#include <sdekit/manifold.h>
#include <sdekit/observable.h>
#include <sdekit/optim.h>
#include <sdekit/order.h>
#include <sdekit/problem.h>
#include <sdekit/report.h>
#include <sdekit/rng.h>
#include <sdekit/spec.h>
#include <sdekit/stepper.h>
#include <sdekit/system.h>
#include <sdekit/system_expr.h>
#include <sdekit/weak.h>

#endif /* SDEKIT_H */
