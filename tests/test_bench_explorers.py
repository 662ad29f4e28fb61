"""The explorer-redraw benchmark times every explorer, and each timed call draws a real picture."""
import pkgutil

import dlscratch.explore
from bench import explorers as bench


def test_every_timed_redraw_draws_a_png():
    for name, calls in bench.redraws().items():
        for call in calls:
            assert call().startswith(b"\x89PNG"), name


def test_every_explorer_module_is_timed():
    modules = {info.name for info in pkgutil.iter_modules(dlscratch.explore.__path__)} - {"answers"}
    timed = {call.__code__.co_names for calls in bench.redraws().values() for call in calls}
    used = {name for names in timed for name in names}
    aliases = {"autodiff": "autodiff_explorer", "chain_rule": "chain_rule_explorer", "convolution": "convolution_explorer",
               "derivatives": "derivative_explorer", "tensors": "tensor_explorer", "training": "training_explorer"}
    assert {aliases.get(module, module) for module in modules} <= used
