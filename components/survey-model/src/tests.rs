use serde_json::{json, Value};

use super::*;

/// One question of every type; `help` is shown only when `need` includes `other`.
fn sample() -> Value {
    json!([
        {"title": "需求", "questions": [
            {"key": "area", "type": "single_choice", "title": "您住在哪个片区", "required": true,
             "options": [{"key": "east", "label": "东片"}, {"key": "west", "label": "西片"}]},
            {"key": "need", "type": "multiple_choice", "title": "您需要哪些服务", "required": true,
             "min_selections": 1, "max_selections": 2,
             "options": [{"key": "meals", "label": "助餐"}, {"key": "care", "label": "陪护"}, {"key": "other", "label": "其他"}]},
            {"key": "help", "type": "short_text", "title": "其他需求", "required": true, "max_length": 10,
             "show_if": {"question": "need", "any_of": ["other"]}},
            {"key": "story", "type": "long_text", "title": "想说的话"},
        ]},
        {"title": "评价", "questions": [
            {"key": "age", "type": "number", "title": "年龄", "min": 0, "max": 120, "integer": true},
            {"key": "score", "type": "rating", "title": "满意度", "scale": 5, "required": true},
            {"key": "grid", "type": "matrix", "title": "各项服务评价", "required": true,
             "rows": [{"key": "r1", "label": "宣讲"}, {"key": "r2", "label": "文化"}],
             "columns": [{"key": "good", "label": "好"}, {"key": "bad", "label": "差"}]},
            {"key": "when", "type": "date", "title": "方便的日期", "min_date": "2026-12-01", "max_date": "2026-12-31"},
        ]},
    ])
}

fn valid_answers() -> Value {
    json!({"area": "east", "need": ["meals"], "score": 4, "grid": {"r1": "good", "r2": "bad"}})
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

fn with(answers: Value, key: &str, value: Value) -> Value {
    let mut a = answers;
    a[key] = value;
    a
}

#[test]
fn parses_every_type_and_round_trips_through_canonical_json() {
    let q = Questionnaire::parse(&sample()).expect("valid");
    assert_eq!(q.questions().count(), 8);
    assert_eq!(
        q.question("need").unwrap().kind,
        Kind::MultipleChoice {
            options: vec![
                Choice { key: "meals".into(), label: "助餐".into() },
                Choice { key: "care".into(), label: "陪护".into() },
                Choice { key: "other".into(), label: "其他".into() },
            ],
            min_selections: 1,
            max_selections: 2,
        }
    );
    // Defaults are made explicit, and parsing the canonical form gives the same questionnaire.
    let canonical = q.to_json();
    assert_eq!(canonical[0]["questions"][3]["max_length"], 2000);
    assert_eq!(canonical[0]["questions"][0]["required"], true);
    assert_eq!(Questionnaire::parse(&canonical).unwrap(), q);
}

#[test]
fn refuses_bad_definitions_naming_every_offender() {
    let bad = json!([{"title": "", "questions": [
        {"key": "a", "type": "single_choice", "title": "A", "options": [{"key": "x", "label": "X"}]},
        {"key": "a", "type": "rating", "title": "B", "scale": 7},
        {"key": "c", "type": "short_text", "title": "C", "show_if": {"question": "d", "any_of": ["x"]}},
        {"key": "d", "type": "single_choice", "title": "D", "options": [{"key": "x", "label": "X"}, {"key": "x", "label": "Y"}]},
        {"key": "e f", "type": "slider", "title": "E"},
        {"key": "g", "type": "number", "title": "G", "min": 5, "max": 1, "colour": "red"},
    ]}]);
    let errors = Questionnaire::parse(&bad).unwrap_err();
    let f = fields(&errors);
    for expected in [
        "sections[0].title",
        "sections[0].questions[0].options",
        "sections[0].questions[1].key",
        "sections[0].questions[1].scale",
        "sections[0].questions[2].show_if.question",
        "sections[0].questions[3].options[1].key",
        "sections[0].questions[4].key",
        "sections[0].questions[4].type",
        "sections[0].questions[5].max",
        "sections[0].questions[5].colour",
    ] {
        assert!(f.contains(&expected), "{expected} missing from {f:?}");
    }
}

#[test]
fn conditions_must_point_back_at_a_choice_question_and_its_options() {
    let def = |cond: Value| {
        json!([{"title": "S", "questions": [
            {"key": "t", "type": "short_text", "title": "T"},
            {"key": "a", "type": "single_choice", "title": "A", "options": [{"key": "y", "label": "是"}, {"key": "n", "label": "否"}]},
            {"key": "b", "type": "long_text", "title": "B", "show_if": cond},
        ]}])
    };
    assert!(Questionnaire::parse(&def(json!({"question": "a", "any_of": ["y"]}))).is_ok());
    for (cond, msg) in [
        (json!({"question": "t", "any_of": ["y"]}), "not a choice question"),
        (json!({"question": "a", "any_of": ["maybe"]}), "not an option"),
        (json!({"question": "a", "any_of": []}), "non-empty"),
        (json!({"question": "b", "any_of": ["y"]}), "not an earlier question"),
    ] {
        let errors = Questionnaire::parse(&def(cond.clone())).unwrap_err();
        assert!(errors[0].message.contains(msg), "{cond}: {errors:?}");
    }
}

#[test]
fn limits_on_size_hold() {
    let many: Vec<Value> =
        (0..201).map(|i| json!({"key": format!("q{i}"), "type": "short_text", "title": "Q"})).collect();
    let errors = Questionnaire::parse(&json!([{"title": "S", "questions": many}])).unwrap_err();
    assert_eq!(fields(&errors), ["sections"]);
    assert!(Questionnaire::parse(&json!([])).is_err());
    assert!(Questionnaire::parse(&json!({"title": "S"})).is_err());
}

#[test]
fn a_valid_submission_yields_its_cells_in_question_order() {
    let q = Questionnaire::parse(&sample()).unwrap();
    let answers = with(with(valid_answers(), "age", json!(70)), "when", json!("2026-12-05"));
    let checked = q.check(&answers).expect("valid");
    type Flat = (String, Option<String>, Option<String>, Option<f64>);
    let cells: Vec<Flat> = checked.cells.into_iter().map(|c| (c.question, c.option, c.text, c.number)).collect();
    let expected: Vec<Flat> = vec![
        ("area".into(), Some("east".into()), None, None),
        ("need".into(), Some("meals".into()), None, None),
        ("age".into(), None, None, Some(70.0)),
        ("score".into(), None, None, Some(4.0)),
        ("grid".into(), Some("r1".into()), Some("good".into()), None),
        ("grid".into(), Some("r2".into()), Some("bad".into()), None),
        ("when".into(), None, Some("2026-12-05".into()), None),
    ];
    assert_eq!(cells, expected);
    assert_eq!(checked.answers.len(), 6);
}

#[test]
fn each_type_refuses_what_it_cannot_hold() {
    let q = Questionnaire::parse(&sample()).unwrap();
    for (key, bad) in [
        ("area", json!("north")),
        ("area", json!(["east"])),
        ("need", json!([])),
        ("need", json!(["meals", "meals"])),
        ("need", json!("meals")),
        ("story", json!("   ")),
        ("story", json!("x".repeat(2001))),
        ("story", json!(12)),
        ("age", json!(121)),
        ("age", json!(-1)),
        ("age", json!(30.5)),
        ("age", json!("30")),
        ("score", json!(0)),
        ("score", json!(6)),
        ("score", json!(4.5)),
        ("grid", json!({"r1": "good"})),
        ("grid", json!({"r1": "good", "r2": "meh"})),
        ("grid", json!({})),
        ("grid", json!(["good", "bad"])),
        ("when", json!("2026-11-30")),
        ("when", json!("2027-01-01")),
        ("when", json!("2026-02-30")),
        ("when", json!("12/05/2026")),
    ] {
        let errors = q.check(&with(valid_answers(), key, bad.clone())).unwrap_err();
        assert!(errors.iter().all(|e| e.field.starts_with(&format!("answers.{key}"))), "{key} = {bad}: {errors:?}");
    }
}

#[test]
fn multiple_choice_keeps_to_its_maximum() {
    let q = Questionnaire::parse(&sample()).unwrap();
    let three = with(with(valid_answers(), "need", json!(["meals", "care", "other"])), "help", json!("修水管"));
    let errors = q.check(&three).unwrap_err();
    assert_eq!(fields(&errors), ["answers.need"]);
    assert!(errors[0].message.contains("1 to 2"), "{errors:?}");
}

#[test]
fn matrix_rows_are_named_in_errors_and_optional_matrices_may_skip_rows() {
    let q = Questionnaire::parse(&sample()).unwrap();
    let errors = q.check(&with(valid_answers(), "grid", json!({"r1": "meh", "r9": "good"}))).unwrap_err();
    let mut f = fields(&errors);
    f.sort();
    assert_eq!(f, ["answers.grid.r1", "answers.grid.r2", "answers.grid.r9"]);

    let optional = json!([{"title": "S", "questions": [
        {"key": "m", "type": "matrix", "title": "M", "rows": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
         "columns": [{"key": "x", "label": "X"}, {"key": "y", "label": "Y"}]},
    ]}]);
    let q = Questionnaire::parse(&optional).unwrap();
    assert_eq!(q.check(&json!({"m": {"a": "y"}})).unwrap().cells.len(), 1);
    assert!(q.check(&json!({})).is_ok());
}

#[test]
fn required_answers_unknown_keys_and_every_problem_at_once() {
    let q = Questionnaire::parse(&sample()).unwrap();
    let errors = q.check(&json!({"nope": 1, "score": 9})).unwrap_err();
    let mut f = fields(&errors);
    f.sort();
    assert_eq!(f, ["answers.area", "answers.grid", "answers.need", "answers.nope", "answers.score"]);
    assert!(q.check(&json!([1, 2])).is_err());
}

#[test]
fn display_conditions_hide_and_require() {
    let q = Questionnaire::parse(&sample()).unwrap();
    // `help` is hidden unless `other` is chosen: answering it then is refused ...
    let errors = q.check(&with(valid_answers(), "help", json!("修水管"))).unwrap_err();
    assert_eq!(fields(&errors), ["answers.help"]);
    assert!(errors[0].message.contains("not shown"));
    // ... and while hidden it is not required.
    assert!(q.check(&valid_answers()).is_ok());
    // Shown (other chosen), the required `help` must be answered.
    let with_other = with(valid_answers(), "need", json!(["meals", "other"]));
    assert_eq!(fields(&q.check(&with_other).unwrap_err()), ["answers.help"]);
    let checked = q.check(&with(with_other, "help", json!(" 修水管 "))).unwrap();
    assert_eq!(checked.answers["help"], "修水管");
}

#[test]
fn a_condition_on_a_hidden_question_hides_too() {
    let def = json!([{"title": "S", "questions": [
        {"key": "a", "type": "single_choice", "title": "A", "options": [{"key": "y", "label": "Y"}, {"key": "n", "label": "N"}]},
        {"key": "b", "type": "single_choice", "title": "B", "show_if": {"question": "a", "any_of": ["y"]},
         "options": [{"key": "y", "label": "Y"}, {"key": "n", "label": "N"}]},
        {"key": "c", "type": "short_text", "title": "C", "required": true, "show_if": {"question": "b", "any_of": ["y"]}},
    ]}]);
    let q = Questionnaire::parse(&def).unwrap();
    // `b` answered `y` but hidden (a = n): its answer is refused, and `c` stays hidden.
    let errors = q.check(&json!({"a": "n", "b": "y"})).unwrap_err();
    assert_eq!(fields(&errors), ["answers.b"]);
    assert!(q.check(&json!({"a": "n"})).is_ok());
    assert_eq!(fields(&q.check(&json!({"a": "y", "b": "y"})).unwrap_err()), ["answers.c"]);
}

#[test]
fn dates_are_real_calendar_days() {
    for good in ["2024-02-29", "2026-12-31", "1900-01-01"] {
        assert!(is_date(good), "{good}");
    }
    for bad in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-1-01", "２０２６-01-01", "1899-12-31", "2026-12-32"]
    {
        assert!(!is_date(bad), "{bad}");
    }
}

#[test]
fn titles_labels_and_short_answers_refuse_invisible_formatting_and_long_answers_bidi_controls() {
    let mut spoofed = sample();
    spoofed[0]["title"] = json!("需\u{200B}求");
    spoofed[0]["questions"][0]["options"][1]["label"] = json!("西\u{202E}片");
    spoofed[0]["questions"][3]["description"] = json!("说明\u{2066}文字");
    let f = Questionnaire::parse(&spoofed).unwrap_err();
    for expected in
        ["sections[0].title", "sections[0].questions[0].options[1].label", "sections[0].questions[3].description"]
    {
        assert!(fields(&f).contains(&expected), "{expected} missing from {f:?}");
    }

    let q = Questionnaire::parse(&sample()).unwrap();
    let other = with(with(valid_answers(), "need", json!(["other"])), "help", json!("送餐"));
    for (key, bad) in [("help", json!("送\u{200D}餐")), ("story", json!("想说\u{202E}的话"))] {
        let errors = q.check(&with(other.clone(), key, bad.clone())).unwrap_err();
        assert_eq!(fields(&errors), [format!("answers.{key}")], "{key} = {bad}");
    }
    // A long answer keeps what prose needs: an emoji joined by zero-width joiners.
    let family = with(other, "story", json!("谢谢 👨\u{200D}👩\u{200D}👧"));
    assert!(q.check(&family).is_ok(), "{:?}", q.check(&family).err());
}
