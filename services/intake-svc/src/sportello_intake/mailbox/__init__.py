"""Written channels that arrive by themselves: e-mail, PEC, fax, voicemail (docs/mailboxes.md)."""
