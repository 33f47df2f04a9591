/* An allocator for jansson that wipes what it frees: Secret JSON holds
 * private keys (base64), and jansson's own buffers would otherwise leave
 * copies of them in freed memory. */
#ifndef CERTLC_WIPE_ALLOC_H
#define CERTLC_WIPE_ALLOC_H

/* Installs the allocator with json_set_alloc_funcs. Call once, before any
 * jansson call. */
void certlc_wipe_alloc_install(void);

/* Frees what jansson allocated (the text of json_dumps) through the
 * allocator jansson uses: this one once installed, else free. NULL is
 * fine. */
void certlc_json_free(void *p);

#endif
