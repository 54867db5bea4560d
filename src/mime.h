/* File extension to MIME type and Gopher item type. */
#ifndef TULPAR_MIME_H
#define TULPAR_MIME_H

/* MIME type for a file name by its extension; application/octet-stream if unknown. */
const char	*mime_type(const char *);

/* 1 if the name is a gemtext page (.gmi, .gemini). */
int		 mime_is_gemtext(const char *);

/* Gopher item type for a file name: 1 gemtext, 0 text, g gif, I image, h html, 9 other. */
char		 mime_gopher_type(const char *);

#endif
