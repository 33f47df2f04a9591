/* certlc's version: what --version prints, the build_info metric carries
 * and the Makefile reads for the packages and the driver SDK's .pc file. */
#ifndef CERTLC_VERSION_H
#define CERTLC_VERSION_H

#define CERTLC_VERSION "0.1.0"

#endif
