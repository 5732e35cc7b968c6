/* Whether two records name the same standard: keys from a standard's number and from
 * its title that are equal for the same standard written in different ways
 * ("IEEE Std 3168-2024" and "IEEE P3168"; "第三部分" and "第3部分"), so that training
 * data never holds a standard twice and a cross-validation never trains on the answer
 * of a text it tests. */
#ifndef STDTAX_STDIDENT_H
#define STDTAX_STDIDENT_H

/* The key of a standard's number (new string in *key, caller frees), or *key = NULL when
 * code names no number: no digits but years ("中国信通院（2022）", "GB/T").  Normalised
 * (norm_string_new: case, width, punctuation); the words std, tr, ts and draft dropped;
 * an IEEE project's p (p3168) dropped; a final year (19xx/20xx) dropped, so "GB/T
 * 36464.2" and "GB/T 36464.2-2018" meet, "GB/T 36464" and "GB/T 36464.2" do not.  Returns
 * 0, STDTAX_EUTF8 or STDTAX_ENOMEM. */
int stdident_number_key(const char *code, char **key);

/* The key of a title (new string, caller frees; NULL when the title normalises to
 * nothing): normalised, without any space, a part number in Chinese numerals
 * (第十二部分) in digits (第12部分), and a draft's stage (征求意见稿, 送审稿, 报批稿)
 * left out.  Returns 0, STDTAX_EUTF8 or STDTAX_ENOMEM. */
int stdident_title_key(const char *title, char **key);

#endif
