/* A unified diff of two texts, line by line (what `diff -u` prints), for apply's preview of
 * the inactive XML. */
#pragma once

/* "--- a_label\n+++ b_label\n@@ -l,n +l,n @@\n ..." with `context` lines around each change;
 * "" when the texts are equal. The longest common subsequence is computed on what lies
 * between the common first and last lines, so a document of a few thousand lines with a few
 * local edits costs little. Caller frees with g_free(). */
char *textdiff_unified(const char *a, const char *b, const char *a_label, const char *b_label,
                       unsigned context);
