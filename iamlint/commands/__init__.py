"""The bodies of iamlint's commands, without click: ``check`` (:mod:`iamlint.commands.check`)
runs the same whether its command line was parsed by click (:mod:`iamlint.cli`) or by the
fast parser of one-shot runs (:mod:`iamlint.commands.argv`, driven by the generated table
:mod:`iamlint.commands.check_options`)."""
