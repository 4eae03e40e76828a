import pytest
import torch

from polymath.foundation.models import SavableModel
from polymath.xval.inference import complete, generate, predict_masked
from polymath.xval.losses import numformer_loss, targets
from polymath.xval.model import ContextLengthError, Numformer
from polymath.xval.numbers import extract_numbers
from polymath.xval.tokenizer import MASK, NUM, NumberTokenizer


def tiny(**kw) -> Numformer:
    torch.manual_seed(0)
    return Numformer(
        vocab_size=40, d_model=16, n_heads=2, n_layers=2, context=32, dropout=0.0, **kw
    ).eval()


def test_the_value_scales_the_num_embedding_before_the_position_is_added():
    model = tiny()
    captured = {}
    model.encoder.register_forward_pre_hook(lambda module, args: captured.setdefault("x", args[0]))
    ids = torch.tensor([[5, NUM, 6]])
    model(ids, torch.tensor([[1.0, 2.5, 1.0]]))
    positions = model.position_embedding.weight[:3]
    expected = model.token_embedding.weight[NUM] * 2.5 + positions[1]
    torch.testing.assert_close(captured["x"][0, 1], expected)


@pytest.mark.parametrize("causal", [False, True])
def test_heads_at_chosen_positions_equal_the_full_outputs_there(causal):
    model = tiny(causal=causal)
    ids = torch.randint(5, 40, (3, 10))
    values = torch.rand(3, 10) + 0.5
    at = torch.rand(3, 10) < 0.3
    at[1] = False
    logits, numbers = model(ids, values)
    chosen_logits, chosen_numbers = model(ids, values, at=at)
    assert chosen_logits.shape == (int(at.sum()), 40)
    torch.testing.assert_close(chosen_logits, logits[at])
    torch.testing.assert_close(chosen_numbers, numbers[at])


def test_the_causal_model_does_not_see_the_future():
    model = tiny(causal=True)
    ids = torch.randint(5, 40, (2, 12))
    values = torch.rand(2, 12) + 0.5
    logits, numbers = model(ids, values)
    changed_ids, changed_values = ids.clone(), values.clone()
    changed_ids[:, 7:] = 9
    changed_values[:, 7:] = 3.0
    later_logits, later_numbers = model(changed_ids, changed_values)
    torch.testing.assert_close(logits[:, :7], later_logits[:, :7])
    torch.testing.assert_close(numbers[:, :7], later_numbers[:, :7])
    assert not torch.allclose(logits[:, 7:], later_logits[:, 7:])


def test_the_masked_model_sees_both_sides():
    model = tiny()
    ids = torch.randint(5, 40, (1, 8))
    changed = ids.clone()
    changed[0, 7] = (ids[0, 7] + 1 - 5) % 35 + 5
    assert not torch.allclose(model(ids)[0][0, 0], model(changed)[0][0, 0])


def test_the_loss_counts_number_positions_only():
    logits = torch.zeros(1, 4, 10)
    numbers = torch.tensor([[100.0, 2.0, -50.0, 7.0]])
    labels = torch.tensor([[-100, NUM, 6, NUM]])
    label_values = torch.tensor([[0.0, 1.0, 0.0, 4.0]])
    losses = numformer_loss(logits, numbers, labels, label_values, number_weight=2.0)
    assert losses["number"].item() == pytest.approx(((2 - 1) ** 2 + (7 - 4) ** 2) / 2)
    assert losses["loss"].item() == pytest.approx(losses["token"].item() + 2 * 5.0)
    no_numbers = numformer_loss(logits, numbers, torch.tensor([[-100, 5, 6, -100]]), label_values)
    assert no_numbers["number"].item() == 0.0


def test_causal_targets_are_the_next_token_and_its_value():
    batch = {
        "ids": torch.tensor([[5, NUM, 6, 0]]),
        "values": torch.tensor([[1.0, 2.5, 1.0, 1.0]]),
        "padding": torch.tensor([[False, False, False, True]]),
    }
    inputs = targets(batch, causal=True)
    assert inputs["labels"].tolist() == [[NUM, 6, -100]]
    assert inputs["label_values"][0, 0].item() == 2.5


def test_masked_inference_reads_the_number_head():
    model = tiny()
    with torch.no_grad():  # make the token head say [NUM] everywhere
        model.token_head[2].weight.zero_()
        model.token_head[2].weight[NUM] = 1.0
        model.token_head[0].weight.copy_(torch.eye(16))
        model.token_head[0].bias.fill_(10.0)
    tokenizer = NumberTokenizer.build("xval")
    ids = torch.tensor([[5, MASK, 6]])
    batch = {
        "masked_ids": ids,
        "masked_values": torch.ones(1, 3),
        "padding": torch.zeros(1, 3, dtype=torch.bool),
        "target": torch.tensor([[False, True, False]]),
    }
    predicted = predict_masked(model, tokenizer, batch)
    _, numbers = model(ids, torch.ones(1, 3))
    assert predicted.item() == pytest.approx(numbers[0, 1].item(), rel=1e-4)
    with torch.no_grad():  # the token head now says "not a number": no value is read
        model.token_head[2].weight[NUM] = -1.0
    assert torch.isnan(predict_masked(model, tokenizer, batch)).all()


def test_generation_stops_and_takes_values_from_the_number_head():
    model = tiny(causal=True)
    new_ids, new_values = generate(model, NumberTokenizer.build("xval"), [5, 6], [1.0, 1.0], 5)
    assert len(new_ids) <= 5
    assert all(v == 1.0 for i, v in zip(new_ids, new_values) if i != NUM)
    with pytest.raises(ValueError, match="causal"):
        generate(tiny(), NumberTokenizer.build("xval"), [5], [1.0])


def test_context_length_is_checked_and_the_model_saves_and_loads(tmp_path):
    model = tiny(scaler={"factors": {"m": 2.0}, "target": 2.0, "limit": 5.0})
    with pytest.raises(ContextLengthError, match="33 tokens exceeds the model's context of 32"):
        model(torch.zeros(1, 33, dtype=torch.long))
    loaded = SavableModel.load(model.save(tmp_path / "model.pt")).eval()
    ids = torch.randint(5, 40, (1, 6))
    torch.testing.assert_close(loaded(ids)[0], model(ids)[0])
    assert loaded.model_args["scaler"]["factors"] == {"m": 2.0}


@pytest.mark.parametrize("encoding", ["xval", "p1000"])
def test_complete_writes_text_with_numbers_in_the_data_units(encoding):
    tokenizer = NumberTokenizer.build(encoding)
    scaler = {"factors": {"operand": 0.02, "result": 0.0002}, "target": 2.0, "limit": 5.0}
    model = Numformer(
        vocab_size=tokenizer.vocab_size,
        d_model=16,
        n_heads=2,
        n_layers=1,
        context=40,
        causal=True,
        number_head=encoding == "xval",
        tokenizer=tokenizer.to_str(),
        scaler=scaler,
    ).eval()
    with torch.no_grad():  # the token head always says [NUM] (xval) or "+" (p1000)
        model.token_head[2].weight.zero_()
        model.token_head[0].bias.fill_(1.0)
        model.token_head[0].weight.zero_()
        favourite = NUM if encoding == "xval" else tokenizer.tokenizer.token_to_id("+")
        model.token_head[2].weight[favourite] = 1.0
    if encoding == "xval":
        text = complete(model, "12*34=", ["operand", "operand"], "result", max_new_tokens=1)
        ids = tokenizer.encode("[NUM]*[NUM]=", [0.24, 0.68]).ids.tolist()
        with torch.no_grad():
            _, numbers = model(torch.tensor([ids]), torch.tensor([[0.24, 1.0, 0.68, 1.0]]))
        expected = float(numbers[0, -1]) / 0.0002
        written = extract_numbers(text)
        assert written.template == "[NUM]*[NUM]=[NUM]"
        assert written.values[2] == pytest.approx(expected, rel=1e-5)
    else:
        assert complete(model, "12*34=", ["operand", "operand"], "result", 3) == "12*34=+++"
