"""Each case the independent probe of the exercise checks found wrong, as a test of its own:
wrong answers that were accepted, right answers that were refused, and the machinery's faults
(reload, placeholders, vague messages). The per-notebook lists in tests/test_exercises_NN.py
hold many more; these are the ones reported."""

from __future__ import annotations

import importlib
import re

import torch

from helpers.exercises import checking, exercises, nb01, nb02, nb03, nb04, nb05, nb07, nb08
from tests.conftest import ROOT

# --- wrong answers that were accepted ---------------------------------------------------------


def test_01_max_distance_without_abs_the_other_way_round_is_wrong():
    result = nb01.max_distance.verdict(lambda images, ideal: (ideal - images).amax((-1, -2)))
    assert result.status == "incorrect" and "absolute value" in result.message


class _FixedRate:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= 0.1 * p.grad  # the rate written in, not self.lr

    def zero_grad(self):
        for p in self.params:
            p.grad.zero_()


def test_04_optimiser_with_the_rate_hard_coded_is_wrong():
    result = nb04.MySGD.verdict(_FixedRate)
    assert result.status == "incorrect" and "lr" in result.message


def test_08_sgd_step_with_the_rate_hard_coded_is_wrong():
    def sgd_update(params, lr):
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad.zero_()

    result = nb08.sgd_update.verdict(sgd_update)
    assert result.status == "incorrect" and "learning rate" in result.message


def test_04_an_epoch_that_validates_before_it_trains_is_wrong():
    from helpers.training import batch_accuracy, gap_loss

    def one_epoch(model, opt, train_batches, valid_batches):
        model.eval()
        with torch.no_grad():
            accs = [batch_accuracy(model(xb), yb) for xb, yb in valid_batches]
        model.train()
        for xb, yb in train_batches:
            gap_loss(model(xb), yb).backward()
            opt.step()
            opt.zero_grad()
        return sum(accs) / len(accs)

    result = nb04.one_epoch.verdict(one_epoch)
    assert result.status == "incorrect" and "before training" in result.message


# --- right answers that were refused -----------------------------------------------------------


def test_01_max_distance_in_float64_is_right():
    result = nb01.max_distance.verdict(
        lambda images, ideal: (images.double() - ideal.double()).abs().amax((-1, -2)))
    assert result.status == "correct", result.message


def test_05_two_layer_net_in_float64_is_right():
    def two_layer_net(x, hidden_w, hidden_b, out_w, out_b):
        x, hidden_w, hidden_b, out_w, out_b = (t.double() for t in (x, hidden_w, hidden_b,
                                                                     out_w, out_b))
        return (x @ hidden_w + hidden_b).relu() @ out_w + out_b

    result = nb05.two_layer_net.verdict(two_layer_net)
    assert result.status == "correct", result.message


def test_07_softmax_in_float64_is_right():
    def my_softmax(x):
        x = x.double()
        exps = (x - x.amax(dim=1, keepdim=True)).exp()
        return exps / exps.sum(dim=1, keepdim=True)

    result = nb07.my_softmax.verdict(my_softmax)
    assert result.status == "correct", result.message


def test_03_an_accuracy_averaged_in_float64_is_right():
    result = nb03.prob_accuracy.verdict(
        lambda probs, targets: ((probs > 0.5).double() == targets.double()).double().mean())
    assert result.status == "correct", result.message


def test_04_a_count_given_as_a_0d_tensor_is_right():
    result = nb04.linear_params.verdict(torch.tensor(7850))
    assert result.status == "correct", result.message


def test_08_a_letter_in_brackets_is_right():
    for answer in ("(c)", "c)", " C "):
        result = nb08.sorted_share.verdict(answer)
        assert result.status == "correct", (answer, result.message)
        assert nb02.big_step.verdict(answer).status == "correct"


def test_03_where_loss_reference_passes_after_an_in_place_answer():
    def scribbles(scores, targets):
        scores.data.mul_(-7)
        targets.data.fill_(0.5)
        return scores.sigmoid().mean()

    nb03.where_loss.verdict(scribbles)
    assert nb03.where_loss.verdict(nb03.where_loss.reference).status == "correct"


def test_04_an_optimiser_that_does_not_skip_gradless_parameters_is_right():
    class MySGD:
        def __init__(self, params, lr):
            self.params, self.lr = list(params), lr

        def step(self):
            with torch.no_grad():
                for p in self.params:
                    p -= self.lr * p.grad

        def zero_grad(self):
            for p in self.params:
                p.grad.zero_()

    result = nb04.MySGD.verdict(MySGD)
    assert result.status == "correct", result.message


# --- the machinery --------------------------------------------------------------------------


def test_no_message_is_vague_or_a_raw_checker_error():
    for path in sorted((ROOT / "helpers" / "exercises").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "not the expected value" not in text, path.name
        assert "Checking your answer failed" not in text, path.name


def test_every_exercise_module_reloads():
    for notebook in sorted({e.notebook for e in exercises()}):
        importlib.reload(importlib.import_module(f"helpers.exercises.nb{notebook}"))
    assert len(exercises()) >= 24


def test_a_function_returning_none_is_an_attempt():
    def max_distance(images, ideal):
        return None

    assert not checking.is_placeholder(max_distance)
    assert "returned None" in nb01.max_distance.verdict(max_distance).message


def test_a_declaration_is_one_decorator_with_keywords():
    for path in sorted((ROOT / "helpers" / "exercises").glob("nb*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bExercise\(", text), path.name
        assert "@exercise(" in text, path.name


# --- found by a second probe, before the independent one ---------------------------------------


def test_02_slope_whose_sign_is_lost_is_wrong():
    for wrong in (lambda fn, x, h: abs(fn(x + h) - fn(x - h)) / (2 * h),
                  lambda fn, x, h: (fn(abs(x) + h) - fn(abs(x) - h)) / (2 * h)):
        assert nb02.slope.verdict(wrong).status == "incorrect"
    floor = nb02.slope.verdict(lambda fn, x, h: (fn(x + h) - fn(x - h)) // (2 * h))
    assert "floor division" in floor.message


def test_a_check_runs_with_gradients_on_and_names_an_answer_that_turns_them_off():
    from helpers.training import gap_loss

    def one_epoch(model, opt, train_batches, valid_batches):
        for xb, yb in train_batches:
            gap_loss(model(xb), yb).backward()
            opt.step()
            opt.zero_grad()
        torch.set_grad_enabled(False)  # never switched back on
        return 0.5

    result = nb04.one_epoch.verdict(one_epoch)
    assert result.status == "incorrect" and "set_grad_enabled(False)" in result.message
    assert torch.is_grad_enabled()
    assert nb03.sgd_step.verdict(nb03.sgd_step.reference).status == "correct"
    with torch.no_grad():  # a learner may call a check anywhere
        assert nb03.sgd_step.verdict(nb03.sgd_step.reference).status == "correct"
        assert not torch.is_grad_enabled()


def test_an_answer_that_exits_gets_a_sentence():
    import sys

    result = nb02.slope.verdict(lambda fn, x, h: sys.exit())
    assert result.status == "incorrect" and "SystemExit" in result.message


def test_misleading_messages_found_by_the_probe_now_name_the_slip():
    assert "without quotes" in nb01.reshape.verdict("(3, 1568)").message
    assert "without quotes" in nb01.broadcast.verdict("(2, 5, 28, 28)").message
    assert "float" in nb01.reshape.verdict((3, 1568.0)).message
    percent = nb01.per_class_accuracy.verdict(lambda p, y, d: 100 * (p == y)[y == d].float().mean())
    assert "percentage" in percent.message
    no_values = nb07.my_softmax.verdict(lambda x: (x - x.max(dim=1, keepdim=True)).exp())
    assert "`.values`" in no_values.message

    def sgd_update(params, lr):
        for p in params:
            p.grad = None
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad

    assert "step first, then clear it" in nb08.sgd_update.verdict(sgd_update).message


def test_a_wrong_divisor_and_a_reversed_gap_are_named():
    prepare = nb08.prepare.verdict(lambda im: im.float().reshape(len(im), -1) / 225)
    assert "you divided by 225" in prepare.message
    reversed_gap = nb03.where_loss.verdict(
        lambda s, t: torch.where(t == 1, s.sigmoid() - 1, s.sigmoid()).mean())
    assert "p - 1" in reversed_gap.message
