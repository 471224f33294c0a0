//! The page's behaviour, natively: each test is a bug a teacher or a
//! student met (issue "the page in front of a class"), replayed as the
//! messages the browser would send.

use super::*;
use crate::ui::model::{LayerKind, NodeState};

const PG_DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: pg\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: pg\n  template:\n    metadata:\n      labels:\n        app: pg\n    spec:\n      containers:\n      - name: postgresql\n        image: postgres:14\n        env:\n        - name: POSTGRES_PASSWORD\n          value: postgres\n";

const WEB_STS: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  serviceName: web\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n        volumeMounts:\n        - name: www\n          mountPath: /usr/share/nginx/html\n  volumeClaimTemplates:\n  - metadata:\n      name: www\n    spec:\n      accessModes: [ReadWriteOnce]\n      storageClassName: local-path\n      resources:\n        requests:\n          storage: 1Gi\n";

fn ui() -> Ui {
    Ui::new(Mode::default(), Page::new(), false)
}

fn applied(yaml: &str) -> Ui {
    let mut u = ui();
    u.update(Msg::EditorChanged(yaml.into()));
    u.update(Msg::Apply);
    assert_eq!(u.page.console.last().unwrap().exit_code, 0, "{}", u.page.console.last().unwrap().output);
    u.update(Msg::Settle);
    u
}

fn node<'a>(u: &'a Ui, name: &str) -> &'a crate::ui::model::NodeModel {
    u.map.zones.iter().flat_map(|z| &z.nodes).find(|n| n.name == name).unwrap()
}

fn sel(kind: Kind, name: &str) -> Selection {
    Selection { kind, namespace: if kind.namespaced() { "default".into() } else { String::new() }, name: name.into() }
}

#[test]
fn actions_made_while_paused_are_drawn_at_once() {
    let mut u = applied(WEB_STS);
    u.update(Msg::TogglePlay);
    assert!(!u.page.playing);
    let t = u.page.elapsed();
    let host = u.page.cluster().get::<Pod>("default", "web-1").unwrap().spec.node_name.clone();
    u.update(Msg::Select(sel(Kind::Pod, "web-1")));
    let write = u.actions(&sel(Kind::Pod, "web-1")).into_iter().find(|a| a.label == "Write data").unwrap();
    u.update(write.msg());
    let disk = u.map.zones.iter().flat_map(|z| z.nodes.iter().flat_map(|n| &n.disks)).find(|d| d.claim.as_deref() == Some("www-web-1")).unwrap();
    assert_eq!(disk.data, "1 file", "the written file is on the map before time moves");
    u.update(Msg::Run(format!("cluster node stop {host}")));
    assert_eq!(u.page.elapsed(), t, "paused: the clock did not move");
    let n = node(&u, &host);
    assert!(n.stopped && n.reason == "powered off", "{n:?}");
}

#[test]
fn the_clock_stops_while_a_lesson_question_is_open_and_verdicts_belong_to_their_step() {
    let mut u = ui();
    u.update(Msg::LessonStart("statefulset-basics".into()));
    let lesson = u.current_lesson().unwrap();
    let q = lesson.steps.iter().position(|s| s.prediction.is_some()).unwrap();
    for _ in 0..q {
        u.update(Msg::LessonNext);
    }
    assert!(u.question_open());
    let t = u.page.elapsed();
    u.update(Msg::TogglePlay);
    assert!(!u.page.playing, "play is refused while the question waits");
    u.page.playing = true; // even if something set it
    for _ in 0..150 {
        u.update(Msg::Frame(100.0));
    }
    u.update(Msg::Step);
    assert_eq!(u.page.elapsed(), t, "15 s of waiting on the question moved nothing");
    assert!(u.map.all_pods().all(|p| p.name != "web-1"), "web-1 has not appeared behind the question");
    u.update(Msg::LessonNext);
    assert_eq!(u.lesson.as_ref().unwrap().step, q, "Next does not skip the question");
    let correct = lesson.steps[q].prediction.as_ref().unwrap().correct;
    u.update(Msg::LessonAnswer(correct));
    let run = u.lesson.as_ref().unwrap();
    assert_eq!(run.step, q + 1, "one step at a time");
    assert!(matches!(&run.verdict, Some((s, Verdict::Right(_))) if *s == q), "{:?}", run.verdict);
    u.update(Msg::LessonNext);
    assert!(u.lesson.as_ref().unwrap().verdict.is_none(), "the verdict goes with its step");
}

#[test]
fn a_wrong_answer_says_so_and_a_diverged_cluster_is_not_called_wrong() {
    let mut u = ui();
    u.update(Msg::LessonStart("statefulset-basics".into()));
    let lesson = u.current_lesson().unwrap();
    let q = lesson.steps.iter().position(|s| s.prediction.is_some()).unwrap();
    for _ in 0..q {
        u.update(Msg::LessonNext);
    }
    let p = lesson.steps[q].prediction.clone().unwrap();
    u.update(Msg::LessonAnswer((p.correct + 1) % p.choices.len()));
    assert!(matches!(&u.lesson.as_ref().unwrap().verdict, Some((_, Verdict::Wrong(t))) if t.starts_with("Not quite")));

    // The student lets time run between steps: web-1 exists by the question.
    let mut u = ui();
    u.update(Msg::LessonStart("statefulset-basics".into()));
    for _ in 0..q {
        u.update(Msg::LessonNext);
        u.page.advance(60_000);
    }
    u.update(Msg::LessonAnswer(p.correct));
    assert!(matches!(&u.lesson.as_ref().unwrap().verdict, Some((_, Verdict::Diverged(_)))), "{:?}", u.lesson.as_ref().unwrap().verdict);
}

#[test]
fn leaving_a_lesson_brings_back_the_session_from_before() {
    let mut u = applied(WEB_STS);
    u.update(Msg::Run("kubectl scale statefulset web --replicas=3".into()));
    u.page.session.cluster.finish_pending(); // the frames would do it
    let rv = u.page.cluster().api.store.resource_version();
    let editor = u.page.editor.clone();
    u.update(Msg::LessonStart("seed000-deployment-loses-data".into()));
    assert!(u.page.cluster().get::<StatefulSet>("default", "web").is_none(), "lessons start on a fresh cluster");
    u.update(Msg::LessonNext);
    let fx = u.update(Msg::LessonLeave);
    assert!(u.lesson.is_none());
    assert_eq!(u.page.cluster().get::<StatefulSet>("default", "web").unwrap().spec.replicas, Some(3));
    u.page.session.cluster.finish_pending();
    assert_eq!(u.page.cluster().api.store.resource_version(), rv, "the same session, exactly");
    assert!(fx.contains(&Effect::SetEditor(editor)));
    assert!(u.page.cluster().get::<Deployment>("default", "pg").is_none());
}

#[test]
fn workloads_have_a_why() {
    let mut u = applied(WEB_STS);
    u.update(Msg::Select(sel(Kind::StatefulSet, "web")));
    u.update(Msg::Inspect(InspectTab::Why));
    let why = u.inspect_body();
    assert!(!why.contains("does not exist"), "{why}");
    assert!(why.starts_with("web wants 2 replicas; 2 exist, 2 ready"), "{why}");
}

#[test]
fn each_form_has_its_own_value_and_enter_runs_it() {
    let mut u = applied(WEB_STS);
    u.update(Msg::Select(sel(Kind::StatefulSet, "web")));
    u.update(Msg::FormInput(Form::Scale, "3".into()));
    assert_eq!(u.form_command(Form::Scale).unwrap(), "kubectl scale statefulset web --replicas=3");
    assert_eq!(u.form_command(Form::SetImage).unwrap(), "kubectl set image statefulset/web nginx=nginx:1.25", "typing into Scale leaves Set image alone");
    u.update(Msg::FormRun(Form::Scale));
    assert_eq!(u.page.console.last().unwrap().command, "kubectl scale statefulset web --replicas=3");
    assert_eq!(u.forms.scale, "");
    // A new selection starts with empty forms.
    u.update(Msg::FormInput(Form::SetImage, "nginx:1.26".into()));
    u.update(Msg::Select(sel(Kind::StatefulSet, "other")));
    assert_eq!(u.forms, Forms::default());
}

#[test]
fn destructive_actions_come_last_and_selecting_the_owner_is_not_a_command() {
    let u = applied(WEB_STS);
    let acts = u.actions(&sel(Kind::Pod, "web-0"));
    let first_danger = acts.iter().position(|a| matches!(a.what, ActionWhat::Danger(_))).unwrap();
    assert!(acts[..first_danger].iter().all(|a| !matches!(a.what, ActionWhat::Danger(_))));
    assert!(acts[first_danger..].iter().all(|a| matches!(a.what, ActionWhat::Danger(_))));
    let owner = acts.iter().find(|a| a.label == "Select its statefulset").unwrap();
    assert_eq!(owner.msg(), Msg::Select(sel(Kind::StatefulSet, "web")));
    let sts = u.actions(&sel(Kind::StatefulSet, "web"));
    assert!(matches!(sts.last().unwrap().what, ActionWhat::Danger(_)));
    assert!(!matches!(sts[0].what, ActionWhat::Danger(_)));
}

#[test]
fn selecting_moves_focus_to_the_inspector_title() {
    let mut u = applied(WEB_STS);
    let fx = u.update(Msg::Select(sel(Kind::StatefulSet, "web")));
    assert!(fx.contains(&Effect::Focus(ids::INSPECTOR)));
    assert!(fx.contains(&Effect::ScrollIntoView(ids::SIDE)));
    assert_eq!(u.side, SideTab::Inspect);
}

#[test]
fn the_console_is_not_a_keyboard_trap() {
    let mut p = Prompt::default();
    let tab = Key::new("Tab");
    let shift_tab = Key { key: "Tab".into(), shift: true, ctrl: false };
    assert!(!console_keeps(&p, &tab, false), "Tab on an empty line moves on");
    p.line = "kubectl get po".into();
    assert!(console_keeps(&p, &tab, false), "Tab completes what is typed");
    assert!(!console_keeps(&p, &shift_tab, false), "Shift+Tab always leaves");
    let mut u = ui();
    u.update(Msg::PromptInput("kubectl get po".into()));
    u.update(Msg::PromptKey(Key::new("Escape")));
    assert!(!console_keeps(&u.prompt, &tab, false), "Escape then Tab leaves");
    u.update(Msg::PromptKey(Key::new("Tab")));
    assert_eq!(u.prompt.line, "kubectl get po", "and does not complete");
    u.update(Msg::PromptInput("kubectl get pods".into()));
    assert!(console_keeps(&u.prompt, &tab, false), "typing again re-arms completion");
}

#[test]
fn the_prompt_completes_runs_and_browses_history_and_ctrl_c_abandons_the_line() {
    let mut u = ui();
    u.update(Msg::PromptInput("kubectl get statef".into()));
    u.update(Msg::PromptKey(Key::new("Tab")));
    assert_eq!(u.prompt.line, "kubectl get statefulsets ");
    u.update(Msg::PromptKey(Key::new("Enter")));
    assert_eq!(u.page.console.last().unwrap().command, "kubectl get statefulsets");
    u.update(Msg::PromptKey(Key::new("ArrowUp")));
    assert_eq!(u.prompt.line, "kubectl get statefulsets");
    u.update(Msg::PromptKey(Key { key: "c".into(), shift: false, ctrl: true }));
    assert_eq!(u.prompt.line, "");
    assert_eq!(u.page.console.last().unwrap().exit_code, 130);
}

#[test]
fn branching_drops_the_discarded_commands_from_the_console_and_the_share_link_and_can_be_undone() {
    let mut u = applied(WEB_STS);
    let t0 = u.page.elapsed();
    u.page.advance(60_000);
    u.update(Msg::Run("kubectl scale statefulset web --replicas=3".into()));
    u.page.advance(60_000);
    u.update(Msg::Run("cluster node stop node-a".into()));
    u.page.advance(60_000);
    let head = u.page.elapsed();
    u.update(Msg::JumpTo(t0 + 30_000));
    assert!(u.page.future.is_some());
    assert_eq!(u.page.head(), head, "looking back keeps the recording");
    u.update(Msg::Run("kubectl scale statefulset web --replicas=1".into()));
    assert!(u.page.future.is_none());
    let cmds: Vec<&str> = u.page.console.iter().map(|e| e.command.as_str()).collect();
    assert!(!cmds.contains(&"kubectl scale statefulset web --replicas=3") && !cmds.contains(&"cluster node stop node-a"), "{cmds:?}");
    assert_eq!(cmds.last(), Some(&"kubectl scale statefulset web --replicas=1"));
    let saved = u.page.save();
    let shared: Vec<String> = saved.inputs.iter().map(|i| serde_json::to_string(i).unwrap()).collect();
    assert!(!shared.iter().any(|i| i.contains("node-a")), "the share link does not replay the discarded node stop");
    assert!(saved.console.iter().all(|e| e.command != "cluster node stop node-a"));
    assert!(u.markers.iter().all(|m| m.at <= t0 + 30_000), "{:?}", u.markers);
    let notice = u.notices.iter().find(|n| n.action == Some(NoticeAction::UndoBranch)).expect("the page says what it discarded");
    assert!(notice.text.contains("the 2 later commands"), "{}", notice.text);
    u.update(Msg::Notice(NoticeAction::UndoBranch));
    assert_eq!(u.page.head(), head, "undo brings the recording back");
    assert!(u.page.console.iter().any(|e| e.command == "cluster node stop node-a"));
    assert!(u.page.console.iter().all(|e| e.command != "kubectl scale statefulset web --replicas=1"));
    u.update(Msg::Settle);
    assert!(!u.page.cluster().world.is_powered("node-a"), "the recording plays on to its end");
}

#[test]
fn deleting_a_pod_from_the_inspector_lets_the_class_watch_it_terminate() {
    let mut u = applied(WEB_STS);
    u.update(Msg::TogglePlay);
    let del = u.actions(&sel(Kind::Pod, "web-0")).into_iter().find(|a| a.label == "Delete").unwrap();
    assert_eq!(del.command(), Some("kubectl delete pod web-0 --wait=false"));
    let t = u.page.elapsed();
    u.update(del.msg());
    assert_eq!(u.page.elapsed(), t, "the clock did not jump");
    let p = u.map.all_pods().find(|p| p.name == "web-0").unwrap();
    assert_eq!(p.status, "Terminating");
}

#[test]
fn step_goes_to_the_next_thing_that_happens() {
    let mut u = applied(WEB_STS);
    let host = u.page.cluster().get::<Pod>("default", "web-0").unwrap().spec.node_name.clone();
    u.update(Msg::Run(format!("cluster node stop {host}")));
    let t0 = u.page.elapsed();
    u.update(Msg::Step);
    let n = node(&u, &host);
    assert_ne!(n.state, NodeState::Ready, "the first step lands when the node is marked not ready");
    assert!(u.page.elapsed() - t0 > 10_000, "not a fixed 10 s step: {}", u.page.elapsed() - t0);
    // The eviction after the 300 s toleration takes a handful of steps, not 15+.
    let mut steps = 1;
    while !u.map.all_pods().any(|p| p.name == "web-0" && p.terminating) {
        u.update(Msg::Step);
        steps += 1;
        assert!(steps < 10, "too many steps to the eviction");
    }
    assert!(u.page.elapsed() - t0 >= 300_000);
}

#[test]
fn step_on_a_quiet_cluster_says_nothing_will_happen() {
    let mut u = ui();
    u.update(Msg::Settle);
    let t = u.page.elapsed();
    u.update(Msg::Step);
    assert_eq!(u.page.elapsed(), t);
    assert!(u.announce.contains("Nothing more will happen"), "{}", u.announce);
}

#[test]
fn the_map_shows_data_in_the_container_layer_that_dies_with_the_pod() {
    let mut u = applied(PG_DEPLOYMENT);
    let pod = u.map.all_pods().next().unwrap().clone();
    assert!(pod.layers.iter().any(|l| l.kind == LayerKind::Container && l.name == "postgresql"), "{:?}", pod.layers);
    u.update(Msg::Run("kubectl exec deploy/pg -- psql -U postgres -c \"CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50))\"".into()));
    u.update(Msg::Run("kubectl exec deploy/pg -- psql -U postgres -c \"INSERT INTO users (name) VALUES ('Alice')\"".into()));
    let pod = u.map.all_pods().next().unwrap().clone();
    assert_eq!(pod.own_data().as_deref(), Some("layer: postgres: 1 table, 1 row"));
    u.update(Msg::Select(sel(Kind::Pod, &pod.name)));
    assert!(u.views.inspect.contains("live and die with the pod") && u.views.inspect.contains("PersistentVolumeClaim"), "{}", u.views.inspect);
    assert!(u.layout.pod_h > crate::ui::model::POD_H, "pods make room for the line that shows it");
    u.update(Msg::Run("kubectl rollout restart deployment/pg".into()));
    u.update(Msg::Settle);
    let pods: Vec<_> = u.map.all_pods().cloned().collect();
    assert_eq!(pods.len(), 1);
    assert_ne!(pods[0].uid, pod.uid, "a new pod");
    assert_eq!(pods[0].own_data().as_deref(), Some("layer: postgres: 0 tables, 0 rows"), "with a fresh layer: the table is gone");
}

#[test]
fn the_timeline_marks_commands_warnings_and_deaths() {
    let mut u = applied(WEB_STS);
    assert!(u.markers.iter().any(|m| m.kind == MarkerKind::Change && m.label == "kubectl apply -f -"));
    u.update(Msg::Run("cluster node stop node-a".into()));
    u.page.advance(6 * 60_000);
    u.update(Msg::Frame(0.0));
    assert!(u.markers.iter().any(|m| m.kind == MarkerKind::Node && m.label == "cluster node stop node-a"));
    assert!(u.markers.iter().any(|m| m.kind == MarkerKind::Death && m.label.contains("NodeNotReady")), "{:?}", u.markers);
    assert!(u.markers.windows(2).all(|w| w[0].at <= w[1].at));
    let n = u.markers.len();
    u.update(Msg::Frame(0.0));
    assert_eq!(u.markers.len(), n, "an event is marked once");
}

#[test]
fn the_embedded_page_waits_to_be_started_and_never_saves() {
    let mut u = Ui::new(Mode::parse("?embed&lesson=seed000-deployment-loses-data", ""), Page::new(), true);
    assert!(u.waiting_to_start && !u.saving);
    assert!(u.lesson.is_some() && u.side == SideTab::Lessons);
    let t = u.page.elapsed();
    u.update(Msg::Frame(1000.0));
    assert_eq!(u.page.elapsed(), t);
    u.update(Msg::LessonNext);
    assert!(!u.waiting_to_start);
    let mut e = Ui::new(Mode::parse("?embed", ""), Page::new(), true);
    assert!(!e.page.playing);
    e.update(Msg::Start);
    assert!(e.page.playing);
}

#[test]
fn play_is_as_good_as_start_and_the_api_runs_commands_like_the_console() {
    // An element without the map has no Start button: Play starts it.
    let mut e = Ui::new(Mode { embed: true, show: Show::parse(Some("console"), Some("play")).0, ..Mode::default() }, Page::new(), false);
    assert!(e.waiting_to_start && !e.page.playing);
    e.update(Msg::TogglePlay);
    assert!(!e.waiting_to_start && e.page.playing);
    e.set_playing(false);
    assert!(!e.page.playing);
    let (out, fx) = e.run_line("kubectl get nodes -o name", "");
    assert_eq!(out.output, "node/node-a\nnode/node-b\nnode/node-c\n");
    assert!(fx.contains(&Effect::Command { line: "kubectl get nodes -o name".into(), output: out.output.clone(), exit_code: 0 }));
    assert_eq!(e.page.console.last().unwrap().command, "kubectl get nodes -o name", "shown in the console");
    assert_eq!(e.announce, "kubectl get nodes -o name exited 0");
    e.advance(30_000).unwrap();
    assert_eq!(e.page.elapsed(), 30_000);
    // Time does not move while a lesson's question is open, through the API either.
    let mut l = Ui::new(Mode::parse("?embed&lesson=statefulset-basics", ""), Page::new(), false);
    while !l.question_open() {
        l.update(Msg::LessonNext);
    }
    assert!(l.advance(1000).unwrap_err().contains("question is open"));
    let (s, bad) = Show::parse(None, Some("play, nope"));
    assert!(s.play && !s.step && s.map && s.timeline);
    assert_eq!(bad, ["controls: \"nope\" is not one of play, step, speed, settle, open"]);
}

#[test]
fn a_first_visit_opens_on_the_start_tab_and_the_url_is_read() {
    assert_eq!(Ui::new(Mode::default(), Page::new(), true).side, SideTab::Start);
    assert_eq!(Ui::new(Mode::default(), Page::new(), false).side, SideTab::Inspect);
    let m = Mode::parse("?lesson=statefulset%2Dbasics&x=1", "#k1.abc");
    assert_eq!(m.lesson.as_deref(), Some("statefulset-basics"));
    assert_eq!(m.share.as_deref(), Some("k1.abc"));
    let u = Ui::new(Mode::parse("?lesson=nope", ""), Page::new(), false);
    assert!(u.notices[0].text.contains("no lesson called \"nope\""));
}

#[test]
fn another_tab_taking_over_stops_this_one_saving_until_it_takes_back() {
    let mut u = ui();
    assert!(u.saving);
    u.update(Msg::SavingTab(false));
    assert!(!u.saving);
    assert_eq!(u.notices.len(), 1);
    let fx = u.update(Msg::Notice(NoticeAction::TakeOver));
    assert!(u.saving && u.notices.is_empty() && fx.contains(&Effect::Save));
}

#[test]
fn dialogs_take_focus_and_give_it_back() {
    let mut u = ui();
    assert_eq!(u.update(Msg::Open(Dialog::Export)), vec![Effect::Focus(ids::DIALOG)]);
    assert_eq!(u.update(Msg::CloseDialog), vec![Effect::RestoreFocus]);
    assert_eq!(u.update(Msg::CloseDialog), vec![], "closing twice does nothing");
    assert_eq!(u.update(Msg::Open(Dialog::Share(String::new()))), vec![Effect::MakeShareLink]);
}

#[test]
fn examples_fill_the_editor() {
    let mut u = ui();
    let fx = u.update(Msg::Example("seed000-deployment-loses-data#all".into()));
    assert!(u.page.editor.contains("kind: Deployment"));
    assert!(matches!(&fx[0], Effect::SetEditor(t) if t == &u.page.editor));
    assert!(u.update(Msg::Example("nope#all".into())).is_empty());
}

#[test]
fn a_phone_gets_the_zones_in_one_column() {
    let mut u = applied(WEB_STS);
    let wide = u.layout.clone();
    assert!(wide.zones.iter().all(|(_, r)| r.y == 0.0), "side by side");
    u.update(Msg::Viewport(390.0));
    let ys: Vec<f64> = u.layout.zones.iter().map(|(_, r)| r.y).collect();
    assert!(ys.windows(2).all(|w| w[1] > w[0]), "stacked: {ys:?}");
    assert!(u.layout.width < wide.width / 2.0);
    for (uid, r) in &u.layout.pods {
        let node = u.map.zones.iter().flat_map(|z| &z.nodes).find(|n| n.pods.iter().any(|p| &p.uid == uid)).unwrap();
        let nr = u.layout.nodes.iter().find(|(n, _)| *n == node.name).unwrap().1;
        assert!(r.y >= nr.y && r.y + r.h <= nr.y + nr.h, "pods stay inside their node");
    }
    u.update(Msg::Run("kubectl scale statefulset web --replicas=3".into()));
    assert!(u.layout.zones.windows(2).all(|w| w[1].1.y > w[0].1.y), "and stay stacked after a change");
}

#[test]
fn thousands_of_pods_are_counted_per_node_instead_of_drawn() {
    let mut u = ui();
    u.update(Msg::Run("kubectl create deployment big --image=nginx:1.25 --replicas=600".into()));
    u.update(Msg::Settle);
    assert!(u.layout.aggregate);
    assert!(u.layout.pods.is_empty(), "no per-pod boxes");
    let n = crate::ui::model::count_looks(u.map.all_pods());
    assert_eq!(n.iter().sum::<usize>(), 600);
    u.update(Msg::Run("kubectl scale deployment big --replicas=3".into()));
    u.update(Msg::Settle);
    assert!(!u.layout.aggregate && u.layout.pods.len() == 3, "back to drawing pods");
}

#[test]
fn a_waiting_command_runs_with_the_clock_and_ctrl_c_stops_it() {
    let mut u = applied(WEB_STS);
    let host = u.page.cluster().get::<Pod>("default", "web-0").unwrap().spec.node_name.clone();
    u.update(Msg::Run(format!("cluster node stop {host}")));
    u.page.advance(6 * 60_000);
    u.update(Msg::TogglePlay); // paused
    assert!(!u.page.playing);
    // kubectl waits (up to a week) for a pod on a dead node to go: it does not jump the clock.
    let t = u.page.elapsed();
    u.update(Msg::PromptInput("kubectl delete pod web-0".into()));
    u.update(Msg::PromptKey(Key::new("Enter")));
    assert!(u.busy(), "the command waits");
    assert!(u.page.elapsed() - t < 1_000, "no jump");
    assert!(u.page.playing, "a wait runs the clock");
    for _ in 0..50 {
        u.update(Msg::Frame(100.0));
    }
    let waited = u.page.elapsed() - t;
    assert!((4_000..=6_000).contains(&waited), "it waits with the clock: {waited} ms for 5 s of frames");
    assert!(u.busy());
    // Anything that moves the cluster waits for it.
    let before = u.page.elapsed();
    u.update(Msg::Step);
    assert_eq!(u.page.elapsed(), before);
    assert!(console_keeps(&u.prompt, &Key { key: "c".into(), shift: false, ctrl: true }, true));
    u.update(Msg::PromptKey(Key { key: "c".into(), shift: false, ctrl: true }));
    assert!(!u.busy());
    let e = u.page.console.last().unwrap();
    assert_eq!((e.command.as_str(), e.exit_code), ("kubectl delete pod web-0", 130));
    assert!(e.output.ends_with("^C\n"), "{:?}", e.output);
    assert!(!u.page.playing, "the clock is as it was");
}

#[test]
fn a_short_wait_finishes_in_the_frames_with_the_same_output_as_at_once() {
    let mut u = ui();
    u.update(Msg::PromptInput("kubectl create deployment web --image=nginx:1.25".into()));
    u.update(Msg::PromptKey(Key::new("Enter")));
    u.update(Msg::PromptInput("kubectl rollout status deployment/web --timeout=2m".into()));
    u.update(Msg::PromptKey(Key::new("Enter")));
    assert!(u.busy());
    let mut frames = 0;
    while u.busy() {
        u.update(Msg::Frame(100.0));
        frames += 1;
        assert!(frames < 2_000);
    }
    let e = u.page.console.last().unwrap();
    assert_eq!(e.exit_code, 0);
    assert!(e.output.ends_with("deployment \"web\" successfully rolled out\n"), "{}", e.output);
    // The same commands run in one go print the same.
    let mut p = Page::new();
    p.run("kubectl create deployment web --image=nginx:1.25", "");
    let out = p.run("kubectl rollout status deployment/web --timeout=2m", "");
    assert_eq!(out.output, e.output);
}

#[test]
fn a_frame_does_a_bounded_amount_of_work_whatever_the_cluster() {
    let mut u = ui();
    for n in ["d", "e", "f", "g", "h", "i", "j"] {
        u.update(Msg::Run(format!("cluster node add node-{n}")));
    }
    u.page.speed = Speed::X100;
    let w0 = u.page.cluster().work();
    u.update(Msg::Run("kubectl create deployment big --image=nginx:1.25 --replicas=3000".into()));
    assert!(u.page.cluster().work() - w0 < 50, "the scale returned before its work: {}", u.page.cluster().work() - w0);
    let mut max = 0;
    for _ in 0..300 {
        let w = u.page.cluster().work();
        u.update(Msg::Frame(100.0));
        max = max.max(u.page.cluster().work() - w);
    }
    // The budget bounds controller syncs; timers due at one instant fire
    // together (each only queues a key), so a frame may pass it by those.
    assert!(max <= 6 * crate::ui::state::FRAME_BUDGET, "a frame did {max} units of work");
    eprintln!("max work in a frame: {max}");
    assert!(u.map.all_pods().count() > 100, "pods appeared over the frames");
}

#[test]
fn the_inspector_shows_data_written_while_its_pod_is_selected() {
    // Writing data changes no object (no new resourceVersion) and may take
    // no whole second: the side panel must still be redrawn after the command.
    let mut u = applied(PG_DEPLOYMENT);
    let pod = u.map.all_pods().next().unwrap().clone();
    u.update(Msg::Select(sel(Kind::Pod, &pod.name)));
    assert!(u.views.inspect.contains("0 tables, 0 rows"), "{}", u.views.inspect);
    u.update(Msg::Run("kubectl exec deploy/pg -- psql -U postgres -c \"CREATE TABLE users (id SERIAL PRIMARY KEY, name VARCHAR(50)); INSERT INTO users (name) VALUES ('Alice')\"".into()));
    assert!(u.views.inspect.contains("1 table, 1 row"), "{}", u.views.inspect);
}
