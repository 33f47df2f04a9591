/* Label selectors (selector.c), as given to get -l and delete -l. Anything
 * parsed must print (certlc_selector_format) as text that parses to the
 * same selector, which prints the same, and selects the same Secrets. */
#include "fuzz.h"
#include "selector.h"

/* Labels made from the words of the canonical text, paired as key and
 * value, so that the two selectors are compared on labels they name. */
static void labels_from(const char *text, certlc_kvlist *l, int shift)
{
    char *copy = fuzz_cstr((const uint8_t *)text, strlen(text));
    if (copy == NULL)
        return;
    char *words[64];
    size_t n = 0;
    for (char *save = NULL, *w = strtok_r(copy, ",=!() ", &save);
         w != NULL && n < 64; w = strtok_r(NULL, ",=!() ", &save))
        words[n++] = w;
    for (size_t i = (size_t)shift; i + 1 < n; i += 2)
        certlc_kvlist_set_str(l, words[i], words[i + 1]);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    if (text == NULL)
        return 0;
    certlc_err err;
    certlc_selector *sel = certlc_selector_parse(text, &err);
    free(text);
    if (sel == NULL)
        return 0;
    char *f = certlc_selector_format(sel);
    FUZZ_CHECK(f != NULL, "out of memory");
    certlc_selector *sel2 = certlc_selector_parse(f, &err);
    FUZZ_CHECK(sel2 != NULL, "its own text \"%s\" does not parse: %s", f,
               err.msg);
    char *f2 = certlc_selector_format(sel2);
    FUZZ_CHECK(f2 != NULL && strcmp(f, f2) == 0, "\"%s\" prints as \"%s\"",
               f, f2 ? f2 : "(null)");
    for (int shift = 0; shift < 2; shift++) {
        certlc_kvlist labels = {0};
        labels_from(f, &labels, shift);
        FUZZ_CHECK(certlc_selector_match(sel, &labels) ==
                       certlc_selector_match(sel2, &labels),
                   "\"%s\" and its own text select differently", f);
        certlc_kvlist_clear(&labels);
    }
    free(f2);
    free(f);
    certlc_selector_free(sel2);
    certlc_selector_free(sel);
    return 0;
}
