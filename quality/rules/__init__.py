"""The quality rules of docs/quality.md, one module per rule family.

Every family reads this build's new rows (:mod:`quality.rules.new_rows`) and appends its
findings to the one temporary failures table they share; the writers in :mod:`quality`
(``quarantine``, ``check_results``, ``file_counts``, ``scorecard``) turn that table into
``data_quality`` rows, and :mod:`quality.checks` runs the families in order.

- :mod:`~quality.rules.parse_problems`: ``type`` (and ``enumeration``) problems the loader
  recorded in raw ``_errors``;
- :mod:`~quality.rules.expectations`: ``required``, ``conditional``, ``range``,
  ``enumeration``: the Great Expectations suites generated from the contract;
- :mod:`~quality.rules.versions`: ``uniqueness`` of (record id, version) in one load;
- :mod:`~quality.rules.references`: ``reference`` to a record that does not exist (yet),
  and the release of earlier reference quarantines once it does;
- :mod:`~quality.rules.plausibility`: warn-only ``plausibility`` (stage skips, events after
  D, outlier amounts);
- :mod:`~quality.rules.legacy_accounts`: counted-only ``legacy_account``.
"""
