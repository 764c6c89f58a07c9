// Package clientmail is one table of what mail clients write into the text of
// a forwarded or quoted message: the labels of a forwarded header block
// (labels.go), the marker lines clients put above a forward (markers.go), and
// — kept by the reply side — original-message separators, "On … wrote:"
// attributions and mobile footers. It is pure data with small matchers and
// imports no other consultd package, so the forward parser, the reply
// trimmer and the HTML path read the same rows.
//
// Every string was looked up in a real client's localisation or in another
// project's fixtures taken from real clients (Thunderbird's
// composeMsgs.properties via transvision; crisp-oss/email-forward-parser's
// per-client, per-locale fixtures for Apple Mail, Gmail, Outlook 2019, new
// Outlook, Outlook Live/365, Yahoo, Thunderbird, HubSpot, MailMate, Missive
// and IONOS). A client+language whose strings could not be found is left out
// rather than guessed: a wrong row makes a silent mistake.
//
// Languages with rows: ar, cs, da, de, en, es, et, fi, fr, hr, hu, it, ja, nl,
// no, pl, pt, pt-BR, ro, ru, sk, sv, tr, uk (and zh for some rows). Subject
// prefixes (prefixes.go) and the numeric date order of each language
// (dates.go) are rows too. Not covered, because no real string was found:
// Persian (fa) forward markers and subject prefixes of any client; Proton
// Mail, Zoho Mail, Samsung Email forwards and Gmail's Android/iOS apps as
// distinct from web Gmail (their English "Original Message"/"Forwarded
// message" lines are matched by the rows of other clients); Czech
// "Přeposlat:". K-9 Mail (Thunderbird for Android) writes Thunderbird's
// "Original Message" separator with From/Sent/To/Cc/Subject (its
// strings.xml). A header block with an unknown From label leaves the
// inviter missing, and the forward goes to a coordinator instead of opening
// a round.
//
// Adding a language is adding rows; TestEveryLanguageHasLabels checks that
// every language listed in Languages has From, Date, To and Subject labels,
// a forward marker and a forward subject prefix.
package clientmail
