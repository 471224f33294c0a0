//! The one perl program Kubernetes' documentation runs: the Job example's
//! `perl -Mbignum=bpi -wle 'print bpi(2000)'`, which prints π to that many
//! significant digits and exits. Any other perl script just runs.

use super::Main;
use crate::engine::time::SECOND;

/// `print bpi(N)` in the arguments: N.
fn bpi_digits(argv: &[String]) -> Option<usize> {
    let script = argv.iter().find(|a| a.contains("bpi("))?;
    let n = script.split("bpi(").nth(1)?.split(')').next()?.trim();
    n.parse::<usize>().ok().filter(|n| (1..=20_000).contains(n))
}

/// The decimal digits of π (Rabinowitz and Wagon's spigot): `n` of them, `3` first.
fn pi_digits(n: usize) -> Vec<u8> {
    let len = n * 10 / 3 + 1;
    let mut a = vec![2u64; len];
    let mut out = Vec::with_capacity(n + 1);
    let (mut nines, mut predigit) = (0usize, 0u8);
    for j in 0..n {
        let mut q = 0u64;
        for i in (1..=len as u64).rev() {
            let x = 10 * a[i as usize - 1] + q * i;
            a[i as usize - 1] = x % (2 * i - 1);
            q = x / (2 * i - 1);
        }
        a[0] = q % 10;
        q /= 10;
        match q {
            9 => nines += 1,
            10 => {
                out.push(predigit + 1);
                out.extend(std::iter::repeat_n(0, nines));
                (predigit, nines) = (0, 0);
            }
            _ => {
                if j > 0 {
                    out.push(predigit);
                }
                predigit = q as u8;
                out.extend(std::iter::repeat_n(9, nines));
                nines = 0;
            }
        }
    }
    out.push(predigit);
    out
}

/// bignum's `bpi(n)`: π rounded to `n` significant digits.
pub fn bpi(n: usize) -> String {
    let mut d = pi_digits(n + 8);
    let up = d[n] >= 5;
    d.truncate(n);
    if up {
        for x in d.iter_mut().rev() {
            if *x == 9 {
                *x = 0;
            } else {
                *x += 1;
                break;
            }
        }
    }
    let digits: String = d.iter().map(|x| char::from(b'0' + x)).collect();
    if n == 1 { digits } else { format!("{}.{}", &digits[..1], &digits[1..]) }
}

/// The main process of a perl container, if it is the π script.
pub fn main(argv: &[String]) -> Option<Main> {
    let n = bpi_digits(argv)?;
    // about a second on a laptop for 2,000 digits, growing with the square
    let after = SECOND + (n as i64 * n as i64) / 4_000;
    Some(Main::ExitsLater { log: String::new(), after, code: 0, exit_log: format!("{}\n", bpi(n)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pi_is_rounded_to_the_digits_asked() {
        assert_eq!(bpi(1), "3");
        assert_eq!(bpi(5), "3.1416");
        assert_eq!(bpi(10), "3.141592654");
        let p = bpi(2000);
        assert_eq!(p.len(), 2001);
        assert!(p.starts_with("3.14159265358979323846264338327950288419716939937510"));
        // the last digits of π to 2,000 significant digits (Python's decimal agrees)
        assert!(p.ends_with("59958133904780275901"), "{}", &p[1980..]);
        let args: Vec<String> = ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"].iter().map(|s| s.to_string()).collect();
        assert_eq!(bpi_digits(&args), Some(2000));
    }
}
