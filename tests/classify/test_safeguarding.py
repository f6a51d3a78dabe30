"""The reviewed safeguarding phrase list: clear cases caught, known false alarms not."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from insight.classify.safeguarding import SafeguardingPhrases
from insight.classify.sentences import sentence_pipeline


@pytest.fixture(scope="module")
def phrases():
    nlp = sentence_pipeline()
    matcher = SafeguardingPhrases(nlp)
    return lambda text: [hit.signal for hit in matcher.hits(nlp(text))]


@pytest.mark.parametrize(
    ("note", "signal"),
    [
        ("Said he'd been thinking it'd be easier if he just wasn't here.", "suicidal-thoughts"),
        ("She is feeling SUICIDAL again this week.", "suicidal-thoughts"),
        ("Cuts again, showed me her arm.", "self-harm"),
        ("Told me she's been self-harming since Christmas.", "self-harm"),
        ("Says he has the tablets saved up in a drawer.", "means-and-preparation"),
        ("Partner checks her phone and won't let her go out.", "coercive-control"),
        ("Kid of 9 left alone overnight while mum works.", "child-at-risk"),
        ("He took an overdose on Sunday.", "overdose"),
    ],
)
def test_clear_cases_are_caught(phrases, note, signal):
    assert signal in phrases(note)


# New sentences, one or more per group added in list version 2 (not taken from any corpus).
@pytest.mark.parametrize(
    ("note", "signal"),
    [
        # suicidal thoughts: text-speak, slang and euphemism
        ("year 10 lad keeps saying he wants to kms, says he means it", "suicidal-thoughts"),
        ("girls in her form told her to kys on the group chat", "suicidal-thoughts"),
        ("Says he's gonna unalive himself after his exams.", "suicidal-thoughts"),
        ("Told his nan he might top himself, she laughed it off.", "suicidal-thoughts"),
        ("Said she'd top herself if they took her boy off her", "suicidal-thoughts"),
        ("Thinking of killing herself most nights.", "suicidal-thoughts"),
        ("He's been talking about 'ending it' on his stories.", "suicidal-thoughts"),
        ("Says it'd be easier to just end it.", "suicidal-thoughts"),
        ("Keeps saying the grandkids would be better off without her.", "suicidal-thoughts"),
        ("Thinks they'd all be better off without them.", "suicidal-thoughts"),
        ("Everybody would be better off, she said.", "suicidal-thoughts"),
        ("Said he'd be better off if he just didn't wake up", "suicidal-thoughts"),
        ("Says she doesnt want to be here anymore", "suicidal-thoughts"),
        ("He doesn't want to live like this any more.", "suicidal-thoughts"),
        ("Dad keeps saying he wants to die.", "suicidal-thoughts"),
        ("Doesnt see the point anymore, cant face another day", "suicidal-thoughts"),
        ("Can't go on any more, she said, and cried.", "suicidal-thoughts"),
        ("Worried he'll do something stupid tonight.", "suicidal-thoughts"),
        ("Carer frightened he'll do something he regrets.", "suicidal-thoughts"),
        # method or place
        ("He's thought about jumping off the Clifton bridge.", "suicide-method"),
        ("Having thoughts of stepping in front of a lorry on the way to work.", "suicide-method"),
        ("Talks about driving into a tree on the bypass.", "suicide-method"),
        ("Said he'd hang himself if the house goes.", "suicide-method"),
        ("Staff found a ligature in her room.", "suicide-method"),
        # means and preparation
        ("Putting her sleeping tablets aside in a sock drawer.", "means-and-preparation"),
        ("Looked up how many paracetamol it would take.", "means-and-preparation"),
        ("Has given all his tools away this month.", "means-and-preparation"),
        # self-harm
        ("Cut herself again last night.", "self-harm"),
        ("Showed me fresh cuts on his wrist.", "self-harm"),
        ("She's been burning herself with a lighter.", "self-harm"),
        ("16, cut tonight, deeper than usual", "self-harm"),
        # overdose, in slang and plain words
        ("OD'd on her meds last weekend", "overdose"),
        ("took an OD on Sunday, home now", "overdose"),
        ("Took a handful of her nan's co-codamol last night.", "overdose"),
        ("He swallowed a whole packet of sleepers.", "overdose"),
        ("Says she took too many tablets on Friday.", "overdose"),
        # command hallucinations
        ("Voices are telling her to hurt the baby.", "command-hallucinations"),
        ("The voices keep telling him he's evil.", "command-hallucinations"),
        ("Says the jinn tells him to jump from the window.", "command-hallucinations"),
        # risky non-adherence
        ("She's stopped taking her insulin, says what's the point.", "risky-non-adherence"),
        ("Not bothering with his insulin since his wife died.", "risky-non-adherence"),
        ("Stopped her lithium on purpose last week.", "risky-non-adherence"),
        ("Doesn't care if he lives or dies now.", "risky-non-adherence"),
        # physical and sexual abuse, in the home and by carers
        ("Her boyfriend slapped her in the car park.", "abuse-violence"),
        ("Son punches him when he asks for his money back.", "abuse-violence"),
        ("Dad smacks the kids when he's had a drink.", "abuse-violence"),
        ("The carer has shaken her a couple of times, he admitted.", "abuse-violence"),
        ("Says the agency carer is rough with her dad.", "abuse-violence"),
        ("Husband pushed her down the stairs.", "abuse-violence"),
        ("She had a black eye and said she walked into a door.", "abuse-violence"),
        ("Stepdad touches her when mum's on nights, she's 12.", "abuse-violence"),
        ("Girl, 14, said her mum's boyfriend touched her.", "abuse-violence"),
        ("Says he locks her in her room when he goes out.", "abuse-violence"),
        ("She doesnt feel safe at home since he came back.", "abuse-violence"),
        ("He threatened to kill her if she leaves.", "abuse-violence"),
        ("Picked up a kitchen knife when they argued.", "abuse-violence"),
        ("Her ex has been following her home from work.", "abuse-violence"),
        # coercive control and financial abuse
        ("Grandson has had her bank card since the summer.", "coercive-control"),
        ("Her son takes her pension every Friday.", "coercive-control"),
        ("Husband wont let her see her sister.", "coercive-control"),
        ("Isn't 'allowed' to go to the doctor on her own.", "coercive-control"),
        ("He answers for her at every appointment.", "coercive-control"),
        # children: neglect, exploitation, grooming, forced marriage
        ("Left the kids on their own all weekend.", "child-at-risk"),
        ("No food in the flat and the baby's crying.", "child-at-risk"),
        ("Girl, 15, says older lads give her weed and lifts.", "child-at-risk"),
        ("Her daughter (14) gets picked up by older lads after school.", "child-at-risk"),
        ("Conversation 2: girl of 14 said older men give her lifts.", "child-at-risk"),
        ("Been going off in cars with older men after school.", "child-at-risk"),
        ("Man she met online keeps asking her for pics, she's 13.", "child-at-risk"),
        ("Worried her daughter is being groomed.", "child-at-risk"),
        ("Family are sending her back home to get married.", "child-at-risk"),
        # criminal exploitation and trafficking
        ("Year 9 boy runs stuff for them after school.", "exploitation"),
        ("Has been carrying bags up to Margate for some older boys.", "exploitation"),
        ("He owes some lads four hundred quid for weed.", "exploitation"),
        ("Sounds like county lines to me.", "exploitation"),
        ("The gangmaster keeps all their passports.", "exploitation"),
        ("They take his phone 'for safekeeping' every night.", "exploitation"),
        # neglect by carers and self-neglect
        ("Dad's been left in his own mess by the agency.", "neglect-exploitation"),
        ("Nan's not been washed since Friday.", "neglect-exploitation"),
        ("Nothing in the fridge but a pint of milk.", "neglect-exploitation"),
        # the listener escalated
        ("Passed to our safeguarding lead the same day.", "listener-escalated"),
        ("Referred to children's services with mum's agreement.", "listener-escalated"),
        ("We rang adult social care together.", "listener-escalated"),
        # list version 3 (new sentences for the kinds a blind audit found missing)
        ("'If they evict me I'll finish it,' he said.", "suicidal-thoughts"),
        ("Says she's not going to be around much longer.", "suicidal-thoughts"),
        ("wants to vanish for good tbh", "suicidal-thoughts"),
        ("Said drinking himself to death felt like the only way out.", "suicidal-thoughts"),
        ("'You won't have to worry about me after the weekend.'", "suicidal-thoughts"),
        ("Has sorted who gets his car and the cat, which isn't like him.", "suicidal-thoughts"),
        ("Made a will 'for when I'm gone' at 29, says he's tired.", "suicidal-thoughts"),
        ("lad says hes been looking up ways.", "suicidal-thoughts"),
        ("Talks about putting the car over the harbour edge.", "suicide-method"),
        ("Burns the inside of her arm with a lighter when it gets bad.", "self-harm"),
        ("He punched the wall until his knuckles were raw.", "self-harm"),
        ("Scratches her legs till they bleed at night.", "self-harm"),
        ("Doing it with a sharpener blade in the toilets.", "self-harm"),
        ("Took some of his sleeping tablets with a bottle of vodka.", "overdose"),
        ("Mate said he went blue on Saturday, second time this month.", "overdose"),
        ("Has stopped his depot and the voices are back.", "risky-non-adherence"),
        ("Hasn't eaten for four days and won't open the door.", "risky-non-adherence"),
        ("Living on water, fainted on the bus.", "risky-non-adherence"),
        # list version 4, from a blind audit of hand-written notes
        ("Her friend says she self harms and will go too far this time.", "self-harm"),
        ("He self-harmed at the weekend, his sister found out.", "self-harm"),
        ("Keeps SH'ing, mum found blood on the towels.", "self-harm"),
        ("'I'd rather not be here' she said when I asked how she was.", "suicidal-thoughts"),
        ("Restricting to like 500 cals a day and the clinic said no.", "risky-non-adherence"),
        # list version 5, from a blind user audit
        ("He said \"I would rather die than go back to that ward\".", "suicidal-thoughts"),
        # list version 6, from a blind user audit: the listener signposted to a crisis line
        ("Low mood, feels like he's disappearing. Gave him the number for the Samaritans.",
         "listener-escalated"),
        ("Left her the crisis team number and texted SHOUT with her.", "listener-escalated"),
        ("She'd rather die than be sectioned again.", "suicidal-thoughts"),
        ("Only eating one meal every few days, very thin now.", "risky-non-adherence"),
        ("Girlfriend lashes out at him when she's been drinking.", "abuse-violence"),
        ("Scratch down his face from Friday, the kids see it all.", "abuse-violence"),
        ("Says he'll deal with her properly next time she comes.", "abuse-violence"),
        ("Boy of 8 puts himself to bed, no adult in the house.", "child-at-risk"),
        ("Man on the game told her to keep it their little secret.", "child-at-risk"),
        ("He sends her gift credits and asked her for photos.", "child-at-risk"),
        ("A man lets her stay as long as she does stuff for him and his mates.", "exploitation"),
        ("Sent all his savings to an online girlfriend he has never met.", "exploitation"),
        ("Rotting food in the kitchen, he refuses help.", "neglect-exploitation"),
        ("Sleeping in the chair since he fell twice, lives alone.", "neglect-exploitation"),
        # list version 7, from a blind user audit: not being here by the end of a wait
        ("Eighteen months for the clinic. 'I may not be around by then.'", "suicidal-thoughts"),
        ("Told her the wait. She just said 'I might not be here.'", "suicidal-thoughts"),
        # list version 8, from a blind user audit: the noun "suicide", not "suicidal"
        ("I have been having suicide thoughts again since the letter came.",
         "suicidal-thoughts"),
        ("She mentioned suicide ideas, on and off this month.", "suicidal-thoughts"),
        ("Suicide has crossed her mind more than once lately.", "suicidal-thoughts"),
        ("He said he has been thinking of killing himself.", "suicidal-thoughts"),
        ("She is contemplating suicide, her sister told me.", "suicidal-thoughts"),
    ],
)
def test_each_group_catches_everyday_wording(phrases, note, signal):
    assert signal in phrases(note)


@pytest.mark.parametrize(
    "note",
    [
        "She went on the suicide prevention training at work and said it was good.",
        "Our group ran a self-harm awareness session for parents.",
        "He volunteers for a domestic abuse charity on Saturdays.",
        "I was ready to go home after the group.",
        "She might not be here next week as she's on holiday.",
        "I may not be around on Tuesday, I'm at the dentist.",
        "Talked mostly about her allotment and the football.",
        # words shared with a risk phrase, in a safe sense
        "The insulin pump was fixed on Tuesday and she's managing well.",
        "She hit the target for the fun run.",
        "No suicide thoughts, she said, and she is sleeping better.",
        "He denies suicidal ideation and is looking forward to the trip.",
        "The voices in the choir were lovely on Sunday.",
        "Killing time before the bus came.",
        "A flat is top of the list for him.",
        "He was shaken up by the news but he's fine.",
        "She kept shaking her head at the forms.",
        "It really hit her when the letter came.",
        "Beats me why they closed the centre.",
        "They beat us 3-0 on Saturday.",
        "Hit me up if you need a lift, she told the group.",
        "She's been topping herself up on the tea and biscuits.",
        "He's killing himself working double shifts.",
        "Cut herself off from her friends since the move.",
        "Fresh cuts to the youth service budget again.",
        "The film touched her, she cried at the end.",
        "She ended it with him last month and feels better.",
        "Doesn't want to live in sheltered housing.",
        "Wants to die at home when the time comes, not in hospital.",
        "No thoughts of harming herself, she was clear about that.",
        "She is not suicidal, just exhausted by the waiting list.",
        "Was going to the crisis cafe but wanted to check if they do tea.",
        "He takes a lot of tablets for his heart.",
        "Took his tablets as normal this morning.",
        "Went swimming in the sea at Whitby with the group.",
        "Carries bags for his nan on market day.",
        "He's an older man, lives alone, loves his garden.",
        "The nurse asked if she ever wanted to kill yourself, which she found odd.",
        "Went to safeguarding training at the church hall.",
        "Mum won't be here next week, she's on holiday.",
        "He can't face going to the GP again.",
        "Her son looks after the car and does her shopping.",
        "Mum of 3, her 2 older lads help out with the shopping.",
        "He's been on his own since last year, misses his wife.",
        # list version 3 look-alikes
        "Watched a programme about county lines and wants to know the signs.",
        "The PCSO gave a talk on spotting cuckooing.",
        "'I'm not going to do anything daft, I'm just fed up.'",
        "Her daughter used to self-harm but is doing well at college.",
        "Took an overdose three years ago, now running a peer group.",
        "Left an abusive marriage ten years ago and is settled now.",
        "Giving her things away to the charity shop while downsizing.",
        "She drove off the ferry at Hull and came straight to the group.",
        "Takes her tablets with a glass of water at breakfast.",
        "Wants to live somewhere with a garden for the dog.",
        # list version 4 look-alikes
        "She self-harmed in Year 10 and has been well for years.",
        "She'd rather be here than at home on her own, she said.",
        "Counting calories for the slimming club, lost half a stone.",
        "Only eats one meal out a week, it's all she can afford.",
        "The shingles jab is on Friday.",
        "She volunteers for the Samaritans on Tuesdays.",
        "The crisis line never answered when he rang.",
        "Gave her a lift to the crisis cafe on Friday.",
        # a list's or a form's number before a colon is no child's age (blind ingest audit)
        "Conversation 2: Older man said he has been waiting since January.",
        "Person 2: older man said he has been waiting since January.",
        "Caller 3: Older bloke, rang about his pension and his low mood.",
        "Table 4: Older man said the wait for a psychology assessment was long.",
    ],
)
def test_known_false_alarms_are_not_flagged(phrases, note):
    assert phrases(note) == []


@pytest.mark.parametrize(
    "note",
    [
        "Partner won't let her see her mum.",
        "Partner wont let her see her mum.",
        "Partner won’t let her see her mum.",
        "Partner will not let her see her mum.",
    ],
)
def test_contractions_match_with_or_without_apostrophes(phrases, note):
    assert phrases(note) == ["coercive-control"]


@pytest.fixture(scope="module")
def held():
    nlp = sentence_pipeline()
    matcher = SafeguardingPhrases(nlp)
    return lambda text: matcher.holds_back(nlp(text))


# The softer signals (`hold_back`, list version 10): new sentences, never from a corpus.
@pytest.mark.parametrize(
    ("note", "signal"),
    [
        ("'What's the point of me, honestly,' she said.", "hopelessness"),
        ("Says he's just a burden to his kids now.", "hopelessness"),
        ("Can't cope any more with the debt letters.", "hopelessness"),
        ("Said nobody would notice if she stopped coming.", "hopelessness"),
        ("Some nights she's standing on the balcony thinking about it.", "method-or-place"),
        ("Stood on the bridge by the ground for an hour last week.", "method-or-place"),
        ("Been counting his tablets out on the table.", "means-softer"),
        ("Has enough tablets in the drawer, she said.", "means-softer"),
        ("He's given his dog to his brother.", "goodbye"),
        ("Said sorry for everything when she left.", "goodbye"),
        ("Kids walk on eggshells round him.", "fear-at-home"),
        ("She's scared of her husband when he drinks.", "fear-at-home"),
        ("Plasters on her arms again at group.", "self-harm-softer"),
        ("Wears long sleeves even in the heat.", "self-harm-softer"),
    ],
)
def test_softer_signals_hold_a_note_back_and_never_flag_it(phrases, held, note, signal):
    assert signal in held(note)
    assert phrases(note) == []  # no flag, no queue item: only quotes wait for a person


@pytest.mark.parametrize(
    "note",
    [
        "He made a good point about the bus times.",
        "Bridge club on a Tuesday is the highlight of her week.",
        "Her tablets come in a dosette box from the chemist.",
        "Said goodbye at the door and went for the bus.",
        "Took the dog to the vet with her sister.",
        "Scared of the dentist, always has been.",
        "Long sleeve tops from the charity shop.",
    ],
)
def test_everyday_words_near_a_softer_signal_hold_nothing_back(held, note):
    assert held(note) == []


def test_a_signal_and_a_softer_one_may_not_share_an_id(tmp_path: Path):
    path = write_list(tmp_path, "signals:\n  - id: s\n    phrases: [cutting again]\n"
                                "hold_back:\n  - id: s\n    phrases: [long sleeves]\n")
    with pytest.raises(ValueError, match="both a signal and a softer one"):
        SafeguardingPhrases(spacy.blank("en"), path)


def test_intake_blank_pipeline_matches_like_the_model_pipeline():
    # a blank pipeline (no sentencizer) matches as the model's does
    blank = spacy.blank("en")
    matcher = SafeguardingPhrases(blank)
    hits = matcher.hits(blank.make_doc("wants to unalive himself, OD'd on her meds"))
    assert {hit.signal for hit in hits} == {"suicidal-thoughts", "overdose"}


def test_the_intake_screen_reads_notes_as_the_model_does(phrases):
    from insight.classify.safeguarding import phrase_screen

    screen = phrase_screen()
    for note in ("Rang re. her meds, she's taken too many of her tablets again",
                 "wants to unalive himself, OD'd on her meds", "Lovely group today."):
        found = screen(note)
        signals = set(found.split(": ", 1)[1].split(", ")) if found else set()
        assert signals == set(phrases(note))


def write_list(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "phrases.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_phrase_syntax_sets_alternatives_optional_and_gaps(tmp_path: Path):
    path = write_list(tmp_path, """
sets:
  self: [himself, herself]
signals:
  - id: s
    phrases:
      - "kill|killing {self}"
      - "took an? overdose"
      - "tablets ... saved"
      - "{self} ...6 river"
""")
    nlp = spacy.blank("en")
    matcher = SafeguardingPhrases(nlp, path)

    def flags(text: str) -> bool:
        return matcher.flag(nlp.make_doc(text))

    assert flags("thinking of killing herself") and flags("might kill himself")
    assert not flags("killing myself laughing")  # not in the set
    assert flags("took overdose") and flags("took an overdose")
    assert flags("tablets from the chemo saved") and not flags("tablets. The cake was saved")
    assert not flags("tablets from her husband's old chemo drawer saved")  # gap is 4 words
    assert flags("himself, he said, by the river") and not flags("himself. The river")


def test_excludes_block_overlapping_matches(tmp_path: Path):
    path = write_list(tmp_path, """
signals:
  - id: s
    phrases:
      - "to end it"
exclude:
  phrases:
    - "end it with"
""")
    nlp = spacy.blank("en")
    matcher = SafeguardingPhrases(nlp, path)
    assert matcher.flag(nlp.make_doc("wants to end it"))
    assert not matcher.flag(nlp.make_doc("wants to end it with him"))


def test_a_raw_pattern_must_be_token_dicts(tmp_path: Path):
    path = write_list(tmp_path, "signals:\n  - id: s\n    patterns:\n      - [ready, to, go]\n")
    with pytest.raises(ValueError, match="list of token dicts"):
        SafeguardingPhrases(spacy.blank("en"), path)


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("{nope} here", "no set named 'nope'"),
        ("won't|can't go", "must be a single token"),
        ("self-harm? again", "only a single word can be optional"),
    ],
)
def test_bad_syntax_is_reported(tmp_path: Path, phrase: str, message: str):
    path = write_list(tmp_path, f'signals:\n  - id: s\n    phrases:\n      - "{phrase}"\n')
    with pytest.raises(ValueError, match=message):
        SafeguardingPhrases(spacy.blank("en"), path)
