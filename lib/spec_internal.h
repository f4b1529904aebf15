/* spec_internal.h: the library's own access to the last reason it
   reported, so a caller can prefix the setting it concerns (not
   installed).  */
#ifndef SDEKIT_SPEC_INTERNAL_H
#define SDEKIT_SPEC_INTERNAL_H

/* The last reason sde_error reported in this thread, or GSL's words for
   CODE when there is none since sde__clear_error.  */
const char *sde__last_error (int code);
void sde__clear_error (void);

/* The status of the last reason sde_error reported (0 after
   sde__clear_error): whether a NULL from an allocator was for want of
   memory.  */
int sde__last_code (void);

#endif /* SDEKIT_SPEC_INTERNAL_H */
