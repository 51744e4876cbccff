"""Notices to applicants (issue 15 item 5): what was decided and why, by e-mail and on paper.

content.py builds a notice as plain data from the database; render.py turns it into text and a
PDF; mail.py sends it over SMTP; outbox.py queues one per decision and delivers it with retries.
"""
