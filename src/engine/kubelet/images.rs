//! Images as the container runtime sees them: the fully qualified name
//! containerd reports, a digest, a size and a pull duration. All of them
//! are functions of the image name, so a session replays exactly; sizes are
//! close to the real images' so messages look plausible.

use crate::engine::rng::fnv32a;
use crate::engine::time::Millis;

/// `nginx:1.25` -> `docker.io/library/nginx:1.25` (the docker.io
/// normalization containerd applies; a missing tag means `latest`).
pub fn full_name(image: &str) -> String {
    let (name, suffix) = split_ref(image);
    let first = name.split('/').next().unwrap_or("");
    let has_registry = name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let qualified = if has_registry {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    format!("{qualified}{suffix}")
}

/// Splits `repo[:tag][@digest]` into the repository and the rest, adding `:latest`.
fn split_ref(image: &str) -> (&str, String) {
    let (no_digest, digest) = match image.split_once('@') {
        Some((a, d)) => (a, Some(d)),
        None => (image, None),
    };
    let last_slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (repo, tag) = match no_digest[last_slash..].rfind(':') {
        Some(i) => (&no_digest[..last_slash + i], Some(&no_digest[last_slash + i + 1..])),
        None => (no_digest, None),
    };
    let mut rest = String::new();
    match (tag, digest) {
        (Some(t), _) => rest.push_str(&format!(":{t}")),
        (None, None) => rest.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(d) = digest {
        rest.push_str(&format!("@{d}"));
    }
    (repo, rest)
}

/// The tag (`latest` when none).
pub fn tag(image: &str) -> String {
    let (_, rest) = split_ref(image);
    rest.strip_prefix(':').map(|t| t.split('@').next().unwrap_or("").to_string()).unwrap_or_default()
}

/// 64 hex characters derived from a string (digests, stable ids).
pub fn hex64(seed: &str) -> String {
    let mut state = (fnv32a(seed.as_bytes()) as u64) << 32 | fnv32a(format!("{seed}#").as_bytes()) as u64;
    let mut out = String::with_capacity(64);
    for _ in 0..4 {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.push_str(&format!("{z:016x}"));
    }
    out
}

/// The imageID containerd reports: `docker.io/library/nginx@sha256:...`.
pub fn image_id(image: &str) -> String {
    let full = full_name(image);
    if let Some((named, d)) = full.split_once('@') {
        let (repo, _) = split_ref(named);
        return format!("{repo}@{d}");
    }
    let (repo, _) = split_ref(&full);
    format!("{repo}@sha256:{}", hex64(&full))
}

/// Would pulling this image fail? (TRANSCRIPTS.md: the tag `does-not-exist`.)
pub fn pull_error(image: &str) -> Option<String> {
    if tag(image) != "does-not-exist" {
        return None;
    }
    let full = full_name(image);
    Some(format!("failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {full}: not found"))
}

/// Compressed size in bytes, near the real image's.
pub fn size_bytes(image: &str) -> i64 {
    let name = crate::engine::cri::image_name(image);
    let base: i64 = match name {
        "nginx" => 72_000_000,
        "httpd" => 58_000_000,
        "postgres" => 158_000_000,
        "mysql" => 176_000_000,
        "redis" => 45_000_000,
        "busybox" => 2_150_000,
        "alpine" => 3_650_000,
        "ubuntu" => 29_700_000,
        "debian" => 49_000_000,
        "pause" => 320_000,
        _ => 20_000_000 + (fnv32a(name.as_bytes()) % 80_000_000) as i64,
    };
    // the tag moves the size by up to 4%
    let wiggle = (fnv32a(full_name(image).as_bytes()) % 4_000) as i64;
    base + base / 100_000 * wiggle
}

/// How long a pull of an image not on the machine takes: registry round
/// trips plus the download at about 35 MB/s.
pub fn pull_duration(image: &str) -> Millis {
    let jitter = (fnv32a(format!("pull:{image}").as_bytes()) % 400) as i64;
    300 + size_bytes(image) / 35_000 + jitter
}

/// A pull of an image already present (imagePullPolicy Always): the
/// manifest check only.
pub fn refresh_duration(image: &str) -> Millis {
    350 + (fnv32a(format!("refresh:{image}").as_bytes()) % 500) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_like_containerd() {
        assert_eq!(full_name("nginx:1.25"), "docker.io/library/nginx:1.25");
        assert_eq!(full_name("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(full_name("bitnami/redis:7"), "docker.io/bitnami/redis:7");
        assert_eq!(full_name("registry.k8s.io/pause:3.10"), "registry.k8s.io/pause:3.10");
        assert_eq!(full_name("localhost:5000/app"), "localhost:5000/app:latest");
        assert_eq!(tag("nginx"), "latest");
        assert_eq!(tag("localhost:5000/app:v2"), "v2");
    }

    #[test]
    fn ids_and_sizes_are_stable() {
        let id = image_id("nginx:1.25");
        assert!(id.starts_with("docker.io/library/nginx@sha256:"), "{id}");
        assert_eq!(id.len(), "docker.io/library/nginx@sha256:".len() + 64);
        assert_eq!(id, image_id("nginx:1.25"));
        assert_ne!(id, image_id("nginx:1.26"));
        let d = pull_duration("nginx:1.25");
        assert!((1_500..4_000).contains(&d), "{d}");
        assert!(pull_duration("busybox:1.36") < 1_000);
        assert!(pull_duration("postgres:16") > d);
    }

    #[test]
    fn missing_tag_fails_with_containerds_text() {
        assert_eq!(
            pull_error("nginx:does-not-exist").unwrap(),
            "failed to pull and unpack image \"docker.io/library/nginx:does-not-exist\": failed to resolve reference \"docker.io/library/nginx:does-not-exist\": docker.io/library/nginx:does-not-exist: not found"
        );
        assert_eq!(pull_error("nginx:1.25"), None);
    }
}
