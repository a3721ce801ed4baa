"""The pure targeting engine: the visitor snapshot, the condition language, rule
evaluation with reasons and ``wake_at``, the rule index, actions, the seed rules.

Pure: no Django, no ORM, no clock (the snapshot carries ``now``). Nothing in this
package imports outside it but the standard library, which
``tests/targeting/test_engine_is_pure.py`` checks; the I/O around it (tracking, the
live snapshots, the writer, the socket runtime, the services) lives beside it in
``targeting/``.

- ``snapshot``: ``Snapshot``, what a rule may look at, and its ``with_*`` updates;
- ``conditions`` (the language, ``compile_condition``) and ``conditions_*`` (the
  leaves and their shared shapes);
- ``evaluator``: ``compile_rule``, ``evaluate``, ``matches``, ``pick``;
- ``index``: ``RuleIndex``, the rules worth evaluating for an event;
- ``actions``: what a rule shows, validated and rendered;
- ``seed_rules``: every seed example of PRODUCT.md §2 as a rule.
"""
