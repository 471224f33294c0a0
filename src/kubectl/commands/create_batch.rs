//! `kubectl create job|cronjob|priorityclass` (pkg/cmd/create:
//! create_job.go, create_cronjob.go, create_priorityclass.go): a Job or
//! CronJob running one image, a Job made by hand from a CronJob's template
//! (`--from=cronjob/NAME`), and a PriorityClass.

use super::apply::{create_generated, generator_flags};
use super::{Command, Ctx};
use crate::engine::api::{Generic, Kind, ObjKey, Object, ObjectMeta};
use crate::engine::apiserver::ApiError;
use crate::kubectl::args::{Flag, FlagKind, boolf, flag, strf};
use crate::kubectl::errors::CmdError;
use serde_json::{Value, json};

pub fn subcommands() -> [Command; 3] {
    [
        Command::new(
            "job",
            "Create a job with the specified name",
            "create job NAME --image=image [--from=cronjob/name] -- [COMMAND] [args...]",
            job_flags,
            run_job,
        ),
        Command::new(
            "cronjob",
            "Create a cron job with the specified name",
            "create cronjob NAME --image=image --schedule='0/5 * * * ?' -- [COMMAND] [args...]",
            cronjob_flags,
            run_cronjob,
        )
        .with_aliases(&["cj"]),
        Command::new(
            "priorityclass",
            "Create a priority class with the specified name",
            "create priorityclass NAME --value=VALUE --global-default=BOOL [--dry-run=server|client|none]",
            priorityclass_flags,
            run_priorityclass,
        )
        .with_aliases(&["pc"]),
    ]
}

fn priorityclass_flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(&[flag("value", None, FlagKind::Int), boolf("global-default"), strf("description"), strf("preemption-policy")]);
    v
}

fn run_priorityclass(ctx: &mut Ctx) -> Result<(), CmdError> {
    let (name, _) = name_and_command(ctx)?;
    let mut body = serde_json::Map::new();
    body.insert("value".into(), (ctx.f.int("value").unwrap_or(0) as i32).into());
    if ctx.f.bool("global-default") {
        body.insert("globalDefault".into(), true.into());
    }
    if let Some(d) = ctx.f.str("description").filter(|d| !d.is_empty()) {
        body.insert("description".into(), d.into());
    }
    body.insert("preemptionPolicy".into(), ctx.f.str("preemption-policy").unwrap_or("PreemptLowerPriority").into());
    let kind = Kind::PriorityClass;
    let pc = Object::Generic(Generic { kind, api_version: kind.info().api_version(), metadata: ObjectMeta::named("", &name), body });
    create_generated(ctx, pc, Some("failed to create priorityclass"))
}

fn job_flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(&[strf("image"), strf("from")]);
    v
}

fn cronjob_flags() -> Vec<Flag> {
    let mut v = generator_flags();
    v.extend_from_slice(&[strf("image"), strf("schedule"), strf("restart")]);
    v
}

/// `NameFromCommandArgs`, and the rest of the arguments as the command.
fn name_and_command(ctx: &Ctx) -> Result<(String, Vec<String>), CmdError> {
    match ctx.f.args.split_first() {
        Some((name, rest)) if ctx.f.dash_at != Some(0) => Ok((name.clone(), rest.to_vec())),
        _ => Err(CmdError::msg(format!("NAME is required\nSee '{} -h' for help and examples", ctx.path))),
    }
}

fn meta(ctx: &Ctx, name: &str) -> ObjectMeta {
    ObjectMeta::named(if ctx.ns_explicit { &ctx.ns } else { "" }, name)
}

fn generic(kind: Kind, metadata: ObjectMeta, body: Value) -> Object {
    let Value::Object(body) = body else { unreachable!("a JSON object") };
    Object::Generic(Generic { kind, api_version: kind.info().api_version(), metadata, body })
}

/// One container named after the object, running the image (and command).
fn pod_template(name: &str, image: &str, command: &[String], restart: &str) -> Value {
    let mut c = json!({"name": name, "image": image, "resources": {}});
    if !command.is_empty() {
        c["command"] = json!(command);
    }
    json!({"metadata": {}, "spec": {"containers": [c], "restartPolicy": restart}})
}

fn run_job(ctx: &mut Ctx) -> Result<(), CmdError> {
    let (name, command) = name_and_command(ctx)?;
    let image = ctx.f.str("image").unwrap_or("").to_string();
    let from = ctx.f.str("from").unwrap_or("").to_string();
    if image.is_empty() == from.is_empty() {
        return Err(CmdError::msg("either --image or --from must be specified"));
    }
    if !command.is_empty() && !from.is_empty() {
        return Err(CmdError::msg("cannot specify --from and command"));
    }
    let mut m = meta(ctx, &name);
    let body = if image.is_empty() {
        // createJobFromCronJob
        let cron_name = match from.split_once('/') {
            Some(("cronjob" | "cronjobs" | "cj" | "cronjob.batch" | "cronjobs.batch", n)) => n.to_string(),
            Some((t, _)) => return Err(CmdError::msg(format!("unknown object type {}", t))),
            None => return Err(CmdError::msg("from must be an existing cronjob")),
        };
        let store = &ctx.session.cluster.api.store;
        let Some(Object::Generic(cj)) = store.get(Kind::CronJob, &ObjKey::new(&ctx.ns, &cron_name)).map(|o| &**o) else {
            return Err(CmdError::Api(ApiError::not_found(Kind::CronJob, &cron_name)));
        };
        let tmpl = &cj.field("spec")["jobTemplate"];
        m.annotations.insert("cronjob.kubernetes.io/instantiate".into(), "manual".into());
        for (k, v) in tmpl["metadata"]["annotations"].as_object().into_iter().flatten() {
            m.annotations.insert(k.clone(), v.as_str().unwrap_or("").to_string());
        }
        for (k, v) in tmpl["metadata"]["labels"].as_object().into_iter().flatten() {
            m.labels.insert(k.clone(), v.as_str().unwrap_or("").to_string());
        }
        m.owner_references.push(crate::engine::api::OwnerReference {
            api_version: "batch/v1".into(),
            kind: "CronJob".into(),
            name: cj.metadata.name.clone(),
            uid: cj.metadata.uid.clone(),
            controller: Some(true),
            block_owner_deletion: None,
        });
        json!({"spec": tmpl["spec"].clone()})
    } else {
        json!({"spec": {"template": pod_template(&name, &image, &command, "Never")}})
    };
    create_generated(ctx, generic(Kind::Job, m, body), Some("failed to create job"))
}

fn run_cronjob(ctx: &mut Ctx) -> Result<(), CmdError> {
    let missing: Vec<String> = ["image", "schedule"].iter().filter(|f| ctx.f.str(f).is_none()).map(|f| format!("\"{f}\"")).collect();
    if !missing.is_empty() {
        return Err(CmdError::msg(format!("required flag(s) {} not set", missing.join(", "))));
    }
    let (name, command) = name_and_command(ctx)?;
    let image = ctx.f.str("image").unwrap_or("");
    let restart = ctx.f.str("restart").filter(|r| !r.is_empty()).unwrap_or("OnFailure");
    let body = json!({"spec": {
        "schedule": ctx.f.str("schedule").unwrap_or(""),
        "jobTemplate": {"metadata": {"name": name}, "spec": {"template": pod_template(&name, image, &command, restart)}},
    }});
    create_generated(ctx, generic(Kind::CronJob, meta(ctx, &name), body), Some("failed to create cronjob"))
}
