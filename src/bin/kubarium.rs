//! The native command line: `kubarium test PATH...` replays transcripts,
//! `kubarium run FILE` prints a session, `kubarium shell` is a prompt on
//! the default cluster.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    eprintln!("kubarium: {:?}: the command line arrives with the kubectl layer; usage: kubarium test PATH... | run FILE | shell", args);
    std::process::exit(2);
}
