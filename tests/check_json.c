/* check_json.c: unit tests of the tools' JSON reader (tools/json.c):
   RFC 8259's grammar, lookups, escapes and UTF-8, positions in messages,
   and hostile input (truncation, deep nesting, bad escapes, huge numbers,
   NaN, duplicate keys, size limits, random damage).  */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/json.h"
#include "testutil.h"

static char err[512];

/* TEXT parses; the document is the caller's.  */
static json_doc *
ok (const char *text)
{
  json_doc *d = json_parse (text, strlen (text), NULL, err, sizeof err);
  ck_assert_msg (d != NULL, "'%s' refused: %s", text, err);
  return d;
}

/* TEXT (LEN bytes) is refused with a one-line "LINE:COLUMN: ..." message
   containing WHY and starting with AT ("L:C:"; NULL: any place).  */
static void
bad_n (const char *text, size_t len, const char *at, const char *why)
{
  json_doc *d = json_parse (text, len, NULL, err, sizeof err);
  ck_assert_msg (d == NULL, "'%.*s' accepted", (int)len, text);
  unsigned long l, c;
  ck_assert_msg (sscanf (err, "%lu:%lu: ", &l, &c) == 2,
                 "'%.*s': no position in '%s'", (int)len, text, err);
  ck_assert_msg (strchr (err, '\n') == NULL, "two lines: %s", err);
  if (at)
    ck_assert_msg (strncmp (err, at, strlen (at)) == 0,
                   "'%.*s': '%s' is not at %s", (int)len, text, err, at);
  if (why)
    ck_assert_msg (strstr (err, why) != NULL, "'%.*s': '%s' lacks '%s'",
                   (int)len, text, err, why);
}

static void
bad (const char *text, const char *at, const char *why)
{
  bad_n (text, strlen (text), at, why);
}

static double
num (const json_value *v)
{
  double x = NAN;
  ck_assert_int_eq (json_number (v, &x), 0);
  return x;
}

START_TEST (test_json_parse_tree_and_lookups)
{
  json_doc *d = ok ("{\"b\": [1, -2.5e1, true, false, null, \"s\", {}, []],"
                    " \"a\": {\"x\": 0}, \"\": 7}");
  const json_value *r = json_root (d);
  ck_assert_int_eq (json_typeof (r), JSON_OBJECT);
  ck_assert_uint_eq (json_size (r), 3);
  size_t len = 99;
  ck_assert_str_eq (json_key (r, 0, &len), "b");
  ck_assert_uint_eq (len, 1);
  ck_assert_str_eq (json_key (r, 2, NULL), "");
  ck_assert_ptr_null (json_key (r, 3, NULL));
  const json_value *b = json_get (r, "b");
  ck_assert_ptr_eq (b, json_at (r, 0));
  ck_assert_uint_eq (json_size (b), 8);
  ck_assert_double_eq (num (json_at (b, 0)), 1);
  ck_assert_double_eq (num (json_at (b, 1)), -25);
  ck_assert_int_eq (json_typeof (json_at (b, 2)), JSON_TRUE);
  ck_assert_int_eq (json_typeof (json_at (b, 3)), JSON_FALSE);
  ck_assert_int_eq (json_typeof (json_at (b, 4)), JSON_NULL);
  ck_assert_str_eq (json_string (json_at (b, 5), NULL), "s");
  ck_assert_int_eq (json_typeof (json_at (b, 6)), JSON_OBJECT);
  ck_assert_int_eq (json_typeof (json_at (b, 7)), JSON_ARRAY);
  ck_assert_uint_eq (json_size (json_at (b, 7)), 0);
  ck_assert_ptr_null (json_at (b, 8));
  ck_assert_double_eq (num (json_get (json_get (r, "a"), "x")), 0);
  ck_assert_double_eq (num (json_get (r, "")), 7);
  /* Misses and type mismatches answer NULL or -1, and chain.  */
  ck_assert_ptr_null (json_get (r, "c"));
  ck_assert_ptr_null (json_get (b, "b"));
  ck_assert_ptr_null (json_get (json_get (r, "c"), "x"));
  ck_assert_ptr_null (json_string (json_at (b, 0), NULL));
  double x;
  ck_assert_int_eq (json_number (json_at (b, 5), &x), -1);
  ck_assert_int_eq (json_number (NULL, &x), -1);
  ck_assert_uint_eq (json_size (NULL), 0);
  ck_assert_str_eq (json_type_name (JSON_OBJECT), "an object");
  json_free (d);
  json_free (NULL);
}
END_TEST

START_TEST (test_json_parse_scalars_at_top_level)
{
  const char *texts[]
      = { "0", " -0 ", "\"\"", "true", "false", "null", "\t[]\r\n", "{}" };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    json_free (ok (texts[i]));
  json_doc *d = ok ("-0");
  ck_assert (signbit (num (json_root (d))));
  json_free (d);
  /* A byte order mark is skipped; columns start after it.  */
  d = ok ("\xEF\xBB\xBF[1]");
  size_t l, c;
  json_where (json_root (d), &l, &c);
  ck_assert_uint_eq (l, 1);
  ck_assert_uint_eq (c, 1);
  json_free (d);
}
END_TEST

START_TEST (test_json_parse_many_keys_found)
{
  /* 5000 keys in reverse order: the sorted index finds each; document
     order is kept.  */
  const int n = 5000;
  char *text = malloc ((size_t)n * 24 + 8), *t = text;
  *t++ = '{';
  for (int i = n - 1; i >= 0; i--)
    t += sprintf (t, "\"k%d\": %d%s", i, i, i ? ", " : "");
  strcpy (t, "}");
  json_doc *d = ok (text);
  const json_value *r = json_root (d);
  ck_assert_uint_eq (json_size (r), (size_t)n);
  for (int i = 0; i < n; i++)
    {
      char key[16];
      snprintf (key, sizeof key, "k%d", i);
      ck_assert_double_eq (num (json_get (r, key)), i);
    }
  ck_assert_str_eq (json_key (r, 0, NULL), "k4999");
  ck_assert_ptr_null (json_get (r, "k5000"));
  ck_assert_ptr_null (json_get (r, "k"));
  json_free (d);
  free (text);
}
END_TEST

START_TEST (test_json_string_escapes_decode_to_utf8)
{
  json_doc *d = ok ("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\","
                    " \"\\ud83d\\ude00\", \"x\\u0000y\", \"\xc3\xa9\xf0\x9f"
                    "\x98\x80\", \"\\uFFFF\"]");
  const json_value *r = json_root (d);
  ck_assert_str_eq (json_string (json_at (r, 0), NULL), "a\"b\\c/d\b\f\n\r\t");
  ck_assert_str_eq (json_string (json_at (r, 1), NULL), "\xc3\xa9\xe2\x82\xac");
  ck_assert_str_eq (json_string (json_at (r, 2), NULL), "\xf0\x9f\x98\x80");
  size_t len;
  const char *s = json_string (json_at (r, 3), &len);
  ck_assert_uint_eq (len, 3);
  ck_assert (memcmp (s, "x\0y", 4) == 0);
  ck_assert_str_eq (json_string (json_at (r, 4), NULL),
                    "\xc3\xa9\xf0\x9f\x98\x80");
  ck_assert_str_eq (json_string (json_at (r, 5), NULL), "\xef\xbf\xbf");
  json_free (d);
}
END_TEST

START_TEST (test_json_reject_bad_escapes_and_utf8)
{
  bad ("\"\\x\"", "1:2:", "invalid escape: a backslash before 'x'");
  bad ("\"\\'\"", "1:2:", "invalid escape");
  bad ("\"\\u12\"", "1:2:", "four hexadecimal digits");
  bad ("\"\\uZZZZ\"", "1:2:", "four hexadecimal digits");
  bad ("[\"ok\", \"\\ud800\"]", "1:9:", "unpaired surrogate \\uD800");
  bad ("\"\\udc00\"", "1:2:", "unpaired surrogate \\uDC00");
  bad ("\"\\ud800\\u0041\"", NULL, "unpaired surrogate");
  bad ("\"\\ud800x\"", NULL, "unpaired surrogate");
  bad ("\"a\nb\"", "1:3:", "control character U+000A");
  bad ("\"a\tb\"", "1:3:", "control character U+0009");
  bad_n ("\"a\0b\"", 5, "1:3:", "control character U+0000");
  bad ("\"\xc0\x80\"", "1:2:", "ill-formed UTF-8 (byte 0xC0)");
  bad ("\"\xed\xa0\x80\"", NULL, "ill-formed UTF-8");     /* a surrogate */
  bad ("\"\xf4\x90\x80\x80\"", NULL, "ill-formed UTF-8"); /* > U+10FFFF */
  bad ("\"\xe2\x82\"", NULL, "ill-formed UTF-8");         /* cut short */
  bad ("\"\x80\"", NULL, "ill-formed UTF-8");
  bad ("\"\xff\"", NULL, "ill-formed UTF-8");
  bad ("\"abc", "1:1:", "unterminated string");
  bad ("\"abc\\\"", "1:1:", "unterminated string");
  bad ("'abc'", "1:1:", "expected a value, found '''");
}
END_TEST

START_TEST (test_json_numbers_strict)
{
  json_doc *d = ok ("[0.1, 1E+2, 2e-3, 1.7976931348623157e308, 1e-400, "
                    "-5e-324, 123456789012345678901234567890]");
  const json_value *r = json_root (d);
  ck_assert_double_eq (num (json_at (r, 0)), 0.1);
  ck_assert_double_eq (num (json_at (r, 1)), 100);
  ck_assert_double_eq (num (json_at (r, 2)), 0.002);
  ck_assert_double_eq (num (json_at (r, 3)), 1.7976931348623157e308);
  /* Below the smallest double: the nearest, 0.  */
  ck_assert_double_eq (num (json_at (r, 4)), 0);
  ck_assert_double_eq (num (json_at (r, 5)), -5e-324);
  ck_assert_double_eq (num (json_at (r, 6)), 1.2345678901234568e29);
  json_free (d);
  bad ("01", "1:1:", "digit 0 followed by another");
  bad ("-01", "1:2:", "digit 0");
  bad ("1.", "1:3:", "a digit must follow the decimal point");
  bad (".5", "1:1:", "expected a value, found '.'");
  bad ("-", "1:2:", "a digit must follow '-', not the end of the input");
  bad ("1e", "1:3:", "exponent");
  bad ("1e+", "1:4:", "exponent");
  bad ("+1", "1:1:", "expected a value, found '+'");
  bad ("0x10", "1:2:", "'x' after the JSON value");
  bad ("[1e400]", "1:2:", "beyond the largest double");
  bad ("-1e400", "1:1:", "beyond the largest double");
  bad ("1"
       "000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000000000000000",
       "1:1:", "beyond the largest double");
  /* NaN and the infinities have no JSON form.  */
  bad ("NaN", "1:1:", "NaN is not JSON");
  bad ("[1, nan]", "1:5:", "not JSON");
  bad ("Infinity", "1:1:", "no NaN or infinite numbers");
  bad ("-Infinity", "1:1:", "-Infinity is not JSON");
  bad ("[True]", "1:2:", "'True' is not a JSON value");
  bad ("nul", "1:1:", "'nul' is not a JSON value");
  /* 1000 characters is the most a number may have.  */
  char big[1100];
  memset (big, '1', sizeof big);
  big[1] = '.';
  big[1000] = '\0';
  json_free (ok (big));
  big[1000] = '1';
  bad_n (big, 1001, "1:1:", "a number of 1001 characters");
}
END_TEST

START_TEST (test_json_reject_structure)
{
  bad ("", "1:1:", "the input is empty");
  bad (" \n\t", "2:2:", "the input is empty");
  bad ("[1, 2,]", "1:7:", "no trailing comma");
  bad ("{\"a\": 1,}", "1:9:", "no trailing comma");
  bad ("[1 2]", "1:4:",
       "expected ',' or ']' after an element of the "
       "array opened at 1:1, found '2'");
  bad ("{\"a\" 1}", "1:6:", "expected ':' after the key \"a\"");
  bad ("{a: 1}", "1:2:", "expected a key (a string)");
  bad ("{\"a\": 1 \"b\": 2}", "1:9:", "expected ',' or '}'");
  bad ("[1] [2]", "1:5:", "'[' after the JSON value");
  bad ("[1] // comment", "1:5:", "after the JSON value");
  bad ("[/* c */ 1]", "1:2:", "expected a value, found '/'");
  bad ("{,}", "1:2:", "expected a key");
  bad ("[,1]", "1:2:", "expected a value, found ','");
  bad ("]", "1:1:", "expected a value, found ']'");
  bad ("[\x01]", "1:2:", "found byte 0x01");
  bad ("\xEF\xBB\xBF\xEF\xBB\xBF[]", "1:1:", "found byte 0xEF");
  /* Positions count lines and characters (UTF-8 sequences as one).  */
  bad ("{\n  \"a\": tru\n}", "2:8:", "'tru'");
  bad ("[\"\xc3\xa9\", x]", "1:7:", "'x'");
  bad ("[\n\n  1,\n  @]", "4:3:", "'@'");
}
END_TEST

START_TEST (test_json_reject_truncated)
{
  /* Every proper prefix of a document is refused with a message, never a
     crash or a read beyond the end (each prefix is copied to a buffer of
     its own length).  */
  const char *full = "{\"a\": [1, -2.5e-3, true, false, null, {\"b\": "
                     "\"x\\u00e9\\ud83d\\ude00\\n\"}], \"c\": {}}";
  json_free (ok (full));
  for (size_t n = 0; n < strlen (full); n++)
    {
      char *t = malloc (n ? n : 1);
      memcpy (t, full, n);
      bad_n (t, n, NULL, NULL);
      free (t);
    }
  bad ("[[1, 2], [3", NULL, "the input ends inside the array opened at 1:10");
  bad ("{\"a\": {\"b\": ", NULL, "inside the object opened at 1:7");
  bad ("{\"a\"", NULL, "inside the object opened at 1:1");
}
END_TEST

START_TEST (test_json_reject_deep_nesting)
{
  /* 200000 brackets: refused at the limit, no recursion.  */
  const size_t n = 200000;
  char *t = malloc (2 * n);
  memset (t, '[', n);
  memset (t + n, ']', n);
  bad_n (t, 2 * n, "1:65:", "nested more than 64 deep");
  /* 64 levels pass, 65 do not.  */
  json_doc *d = json_parse (t + n - 64, 128, NULL, err, sizeof err);
  ck_assert_msg (d != NULL, "%s", err);
  json_free (d);
  bad_n (t + n - 65, 130, "1:65:", "more than 64 deep");
  /* With the limit raised, 200000 levels parse and free without the C
     stack.  */
  json_limits lim = { 0, n };
  d = json_parse (t, 2 * n, &lim, err, sizeof err);
  ck_assert_msg (d != NULL, "%s", err);
  const json_value *v = json_root (d);
  size_t depth = 0;
  while (json_size (v))
    {
      v = json_at (v, 0);
      depth++;
    }
  ck_assert_uint_eq (depth, n - 1);
  json_free (d);
  /* Objects count too.  */
  lim.max_depth = 3;
  const char *objs = "{\"a\":{\"a\":{\"a\":{\"a\":1}}}}";
  ck_assert_ptr_null (json_parse (objs, strlen (objs), &lim, err, sizeof err));
  ck_assert_msg (strstr (err, "1:16: arrays and objects nested more than 3")
                     != NULL,
                 "%s", err);
  free (t);
}
END_TEST

START_TEST (test_json_reject_duplicate_keys)
{
  bad ("{\"a\": 1, \"b\": 2, \"a\": 3}",
       "1:18:", "duplicate key \"a\" in one object (first at 1:2)");
  bad ("[{}, {\"x\": {\"k\": 1, \"k\": 1}}]", "1:21:", "duplicate key \"k\"");
  /* Keys are compared as bytes, escapes decoded: "\u0061" is "a".  */
  bad ("{\"a\": 1, \"\\u0061\": 2}", "1:10:", "duplicate key");
  /* Keys equal up to a NUL differ.  */
  json_doc *d = ok ("{\"a\": 1, \"a\\u0000\": 2, \"a\\u0000b\": 3}");
  ck_assert_double_eq (num (json_get (json_root (d), "a")), 1);
  json_free (d);
  /* The same key in different objects is fine.  */
  json_free (ok ("[{\"a\": 1}, {\"a\": 2}, {\"b\": {\"a\": 3}}]"));
}
END_TEST

START_TEST (test_json_limits_size)
{
  json_limits lim = { 8, 0 };
  ck_assert_ptr_null (json_parse ("[1,2,3,4]", 9, &lim, err, sizeof err));
  ck_assert_msg (strstr (err, "more than the limit of 8") != NULL, "%s", err);
  json_doc *d = json_parse ("[1,2,33]", 8, &lim, err, sizeof err);
  ck_assert_ptr_nonnull (d);
  json_free (d);
  /* From a file: refused without reading past the limit.  */
  FILE *f = tmpfile ();
  ck_assert_ptr_nonnull (f);
  for (int i = 0; i < 100000; i++)
    fputs (i ? ",0" : "[0", f);
  fputs ("]", f);
  rewind (f);
  lim.max_bytes = 1000;
  ck_assert_ptr_null (json_read (f, &lim, err, sizeof err));
  ck_assert_msg (strstr (err, "more than 1000 bytes") != NULL, "%s", err);
  rewind (f);
  d = json_read (f, NULL, err, sizeof err);
  ck_assert_msg (d != NULL, "%s", err);
  ck_assert_uint_eq (json_size (json_root (d)), 100000);
  json_free (d);
  fclose (f);
  /* An empty file is an empty input.  */
  f = tmpfile ();
  ck_assert_ptr_null (json_read (f, NULL, err, sizeof err));
  ck_assert_msg (strstr (err, "the input is empty") != NULL, "%s", err);
  fclose (f);
}
END_TEST

START_TEST (test_json_positions_of_values)
{
  json_doc *d = ok ("{\n  \"rows\": [\n    [1, \"\xc3\xa9\", 3]\n  ]\n}");
  const json_value *row = json_at (json_get (json_root (d), "rows"), 0);
  size_t l, c;
  json_where (row, &l, &c);
  ck_assert_uint_eq (l, 3);
  ck_assert_uint_eq (c, 5);
  json_where (json_at (row, 2), &l, &c);
  ck_assert_uint_eq (l, 3);
  ck_assert_uint_eq (c, 14);
  json_where (NULL, &l, &c);
  ck_assert_uint_eq (l, 0);
  json_free (d);
}
END_TEST

START_TEST (test_json_random_damage_never_crashes)
{
  /* Bytes of a valid document replaced, dropped or doubled at random
     (a fixed generator): every result is a document or a one-line
     message with a position.  */
  const char *full = "{\"errors\": [{\"eta\": 0.25, \"method\": \"sgd\", "
                     "\"floor\": false, \"se\": null}], \"fits\": [{\"order\":"
                     " 1.03, \"local_slopes\": [1.1, 0.9e0]}], \"s\": "
                     "\"\\u00e9\\ud83d\\ude00\\\\\"}";
  const size_t n = strlen (full);
  const char alphabet[] = "{}[]:,\"\\u0123456789eE+-.tfnrl \n\xc3\xa9\xff";
  uint64_t state = 12345;
  for (int trial = 0; trial < 20000; trial++)
    {
      char t[512];
      memcpy (t, full, n);
      size_t len = n;
      for (int k = 0; k < 1 + trial % 4; k++)
        {
          state = state * 6364136223846793005ULL + 1442695040888963407ULL;
          const size_t at = (size_t)(state >> 33) % len;
          const char ch = alphabet[(state >> 20) % (sizeof alphabet - 1)];
          switch ((state >> 10) % 3)
            {
            case 0:
              t[at] = ch;
              break;
            case 1:
              memmove (t + at, t + at + 1, len - at - 1);
              len--;
              break;
            default:
              memmove (t + at + 1, t + at, len - at);
              len++;
            }
        }
      char *copy = malloc (len);
      memcpy (copy, t, len);
      json_doc *d = json_parse (copy, len, NULL, err, sizeof err);
      if (d == NULL)
        {
          unsigned long l, c;
          ck_assert_msg (sscanf (err, "%lu:%lu: ", &l, &c) == 2
                             && strchr (err, '\n') == NULL,
                         "bad message '%s'", err);
        }
      json_free (d);
      free (copy);
    }
}
END_TEST

static Suite *
json_suite (void)
{
  Suite *s = suite_create ("json");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_json_parse_tree_and_lookups);
  tcase_add_test (tc, test_json_parse_scalars_at_top_level);
  tcase_add_test (tc, test_json_parse_many_keys_found);
  tcase_add_test (tc, test_json_string_escapes_decode_to_utf8);
  tcase_add_test (tc, test_json_reject_bad_escapes_and_utf8);
  tcase_add_test (tc, test_json_numbers_strict);
  tcase_add_test (tc, test_json_reject_structure);
  tcase_add_test (tc, test_json_reject_truncated);
  tcase_add_test (tc, test_json_reject_deep_nesting);
  tcase_add_test (tc, test_json_reject_duplicate_keys);
  tcase_add_test (tc, test_json_limits_size);
  tcase_add_test (tc, test_json_positions_of_values);
  tcase_add_test (tc, test_json_random_damage_never_crashes);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return testutil_run (json_suite ());
}
