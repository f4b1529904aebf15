/* report_util.c: what the report formats share: a sink that writes to a
   stream or, async-signal-safely, to a buffer; escaping for one-line
   comments, LaTeX, Markdown and JSON; numbers rounded for eyes or kept to
   the bit (%.17g, as DESIGN.md asks of machine-read output).  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

/* ---- The sink ---- */

static size_t
utf8_chars (const char *p, size_t n)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += ((unsigned char)p[i] & 0xc0) != 0x80;
  return k;
}

void
sde__report_putn (sde_report_sink *s, const char *p, size_t n)
{
  s->cols += utf8_chars (p, n);
  if (s->f)
    fwrite (p, 1, n, s->f);
  else if (s->buf)
    {
      if (s->full || s->n + n >= s->len)
        {
          s->full = 1;
          return;
        }
      memcpy (s->buf + s->n, p, n);
      s->n += n;
    }
}

void
sde__report_put (sde_report_sink *s, const char *p)
{
  sde__report_putn (s, p, strlen (p));
}

void
sde__report_putc (sde_report_sink *s, char c)
{
  sde__report_putn (s, &c, 1);
}

void
sde__report_pad (sde_report_sink *s, size_t n)
{
  static const char spaces[] = "                                ";
  while (n > 0)
    {
      size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
      sde__report_putn (s, spaces, k);
      n -= k;
    }
}

void
sde__report_putu (sde_report_sink *s, unsigned long long u)
{
  char d[24];
  size_t k = sizeof d;
  do
    {
      d[--k] = (char)('0' + u % 10);
      u /= 10;
    }
  while (u);
  sde__report_putn (s, d + k, sizeof d - k);
}

/* A control character as \n, \t or \xNN (no printf: signal-safe).  */
static void
put_escape (sde_report_sink *s, unsigned char c)
{
  static const char hex[] = "0123456789abcdef";
  if (c == '\n')
    sde__report_put (s, "\\n");
  else if (c == '\t')
    sde__report_put (s, "\\t");
  else
    {
      char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
      sde__report_putn (s, e, 4);
    }
}

static int
is_control (unsigned char c)
{
  return c < 0x20 || c == 0x7f;
}

/* Whether the '>' at Q (in P) would end an HTML comment: "-->" or
   "--!>".  */
static int
ends_comment (const char *p, const char *q)
{
  if (q - p >= 3 && q[-1] == '!')
    q--;
  return q - p >= 2 && q[-1] == '-' && q[-2] == '-';
}

void
sde__report_put_line (sde_report_sink *s, const char *p, int nocomma,
                      int endcomment)
{
  for (const char *q = p; *q; q++)
    {
      const unsigned char c = (unsigned char)*q;
      if (is_control (c))
        put_escape (s, c);
      else if (nocomma && c == ',')
        sde__report_putc (s, ';');
      else if (endcomment && c == '>' && ends_comment (p, q))
        sde__report_put (s, "&gt;");
      else
        sde__report_putc (s, (char)c);
    }
}

void
sde__report_put_latex (sde_report_sink *s, const char *p)
{
  for (; *p; p++)
    {
      const unsigned char c = (unsigned char)*p;
      switch (c)
        {
        case '_':
        case '%':
        case '&':
        case '#':
        case '$':
        case '{':
        case '}':
          sde__report_putc (s, '\\');
          sde__report_putc (s, (char)c);
          break;
        case '\\':
          sde__report_put (s, "\\textbackslash{}");
          break;
        case '^':
          sde__report_put (s, "\\textasciicircum{}");
          break;
        case '~':
          sde__report_put (s, "\\textasciitilde{}");
          break;
        case '<':
          sde__report_put (s, "\\textless{}");
          break;
        case '>':
          sde__report_put (s, "\\textgreater{}");
          break;
        case '|':
          sde__report_put (s, "\\textbar{}");
          break;
        case 0xc2:
          /* U+00B1, the plus-minus sign of the human titles.  */
          if ((unsigned char)p[1] == 0xb1)
            {
              sde__report_put (s, "$\\pm$");
              p++;
              break;
            }
          sde__report_putc (s, (char)c);
          break;
        default:
          /* A control character would end a comment or a paragraph.  */
          sde__report_putc (s, is_control (c) ? ' ' : (char)c);
        }
    }
}

void
sde__report_put_md (sde_report_sink *s, const char *p)
{
  for (; *p; p++)
    {
      const unsigned char c = (unsigned char)*p;
      if (is_control (c))
        put_escape (s, c);
      else
        {
          if (strchr ("\\`*_[]<>|#", c))
            sde__report_putc (s, '\\');
          sde__report_putc (s, (char)c);
        }
    }
}

void
sde__report_put_json (sde_report_sink *s, const char *p)
{
  static const char hex[] = "0123456789abcdef";
  sde__report_putc (s, '"');
  for (; *p; p++)
    {
      const unsigned char c = (unsigned char)*p;
      if (c == '"' || c == '\\')
        {
          sde__report_putc (s, '\\');
          sde__report_putc (s, (char)c);
        }
      else if (c == '\n')
        sde__report_put (s, "\\n");
      else if (c == '\t')
        sde__report_put (s, "\\t");
      else if (c < 0x20)
        {
          char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
          sde__report_putn (s, e, 6);
        }
      else
        sde__report_putc (s, (char)c);
    }
  sde__report_putc (s, '"');
}

/* ---- Columns and numbers ---- */

const sde_column *
sde__report_col (const sde_report *r, size_t k)
{
  return &r->cols[r->shown[k]];
}

const char *
sde__report_title (const sde_column *c)
{
  return c->title ? c->title : c->name;
}

size_t
sde__report_strwidth (const char *p)
{
  return utf8_chars (p, strlen (p));
}

size_t
sde__report_width (const sde_column *c)
{
  sde_report_sink m = { 0 };
  sde__report_put_line (&m, sde__report_title (c), 0, 0);
  return c->width > 0 && (size_t)c->width > m.cols ? (size_t)c->width : m.cols;
}

static int
not_finite (char *buf, size_t len, double x)
{
  if (isfinite (x))
    return 0;
  snprintf (buf, len, "%s", isnan (x) ? "nan" : x > 0 ? "inf" : "-inf");
  return 1;
}

void
sde__report_round (char *buf, size_t len, const sde_column *c, double x)
{
  if (not_finite (buf, len, x))
    return;
  const int p = c->prec > 0 ? c->prec : 0;
  switch (c->conv)
    {
    case 'e':
      snprintf (buf, len, "%.*e", p, x);
      break;
    case 'f':
      snprintf (buf, len, "%.*f", p, x);
      break;
    case 'd':
      snprintf (buf, len, "%.0f", x);
      break;
    default:
      snprintf (buf, len, "%.*g", p > 0 ? p : 6, x);
    }
}

void
sde__report_exact (char *buf, size_t len, double x, int json)
{
  if (!isfinite (x))
    {
      if (json)
        snprintf (buf, len, "null");
      else
        not_finite (buf, len, x);
      return;
    }
  int n = snprintf (buf, len, "%.17g", x);
  if (json && n > 0 && (size_t)n + 2 < len && !strpbrk (buf, ".e"))
    memcpy (buf + n, ".0", 3);
}

int
sde__report_pm (const sde_column *c, double x, double h, char *mx, char *mh,
                size_t len)
{
  const int p = c->prec > 0 ? c->prec : 0;
  int d = p, e = 0;
  if (c->conv != 'f')
    {
      /* The exponent of the value as printed (9.996e-3 at two digits is
         1.00e-02), or of the half-width when the value is 0.  */
      d = c->conv == 'e' ? p : (p > 1 ? p - 1 : 0);
      const double base = x != 0 ? x : h;
      char tmp[64];
      if (isfinite (base) && base != 0)
        {
          snprintf (tmp, sizeof tmp, "%.*e", d, base);
          e = atoi (strchr (tmp, 'e') + 1);
        }
    }
  const double scale = pow (10, e);
  snprintf (mx, len, "%.*f", d, x / scale);
  if (isnan (h))
    *mh = '\0';
  else
    snprintf (mh, len, "%.*f", d, h / scale);
  return e;
}

void
sde__report_mark (char *buf, size_t len, const sde_column *c, int value)
{
  const char *m = c->marks ? c->marks : "yes|no";
  const char *bar = strchr (m, '|');
  if (bar == NULL)
    snprintf (buf, len, "%s", value ? m : "");
  else if (value)
    snprintf (buf, len, "%.*s", (int)(bar - m), m);
  else
    snprintf (buf, len, "%s", bar + 1);
}

/* X +- H for text and Markdown: "2.14 ± 0.11" or "(2.14 ± 0.11)e-02".  */
static void
plain_pm (sde_report_sink *s, const sde_column *c, double x, double h)
{
  char mx[64], mh[64], ex[16];
  const int e = sde__report_pm (c, x, h, mx, mh, sizeof mx);
  if (*mh == '\0')
    {
      sde__report_round (mx, sizeof mx, c, x);
      sde__report_put (s, mx);
      return;
    }
  snprintf (ex, sizeof ex, "e%+03d", e);
  if (e)
    sde__report_putc (s, '(');
  sde__report_put (s, mx);
  sde__report_put (s, " \xc2\xb1 ");
  sde__report_put (s, mh);
  if (e)
    {
      sde__report_putc (s, ')');
      sde__report_put (s, ex);
    }
}

void
sde__report_plain_cell (sde_report_sink *s, const sde_column *c,
                        const sde_cell *cell, const char *sep,
                        void (*put) (sde_report_sink *, const char *))
{
  char b[64];
  switch (cell->kind)
    {
    case SDE_CELL_DOUBLE:
      sde__report_round (b, sizeof b, c, cell->d);
      sde__report_put (s, b);
      break;
    case SDE_CELL_INT:
      snprintf (b, sizeof b, "%lld", cell->i);
      sde__report_put (s, b);
      break;
    case SDE_CELL_STRING:
      put (s, cell->s ? cell->s : "");
      break;
    case SDE_CELL_BOOL:
      sde__report_mark (b, sizeof b, c, (int)cell->i);
      put (s, b);
      break;
    case SDE_CELL_DOUBLES:
      for (size_t k = 0; k < cell->n; k++)
        {
          sde__report_round (b, sizeof b, c, cell->dv[k]);
          sde__report_put (s, k ? sep : "");
          sde__report_put (s, b);
        }
      break;
    case SDE_CELL_STRINGS:
      for (size_t k = 0; k < cell->n; k++)
        {
          sde__report_put (s, k ? sep : "");
          put (s, cell->sv[k] ? cell->sv[k] : "");
        }
      break;
    case SDE_CELL_PM:
      if (isnan (cell->d))
        sde__report_put (s, "-");
      else
        plain_pm (s, c, cell->d, cell->hw);
      break;
    default:
      sde__report_put (s, "-");
    }
}
