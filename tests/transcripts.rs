//! Training recordings: transcript cues (WebVTT, SRT) are time-coded
//! segments, searchable to the second; a transcript edit re-indexes its
//! record (live and across restarts); recordings in the corpus are served
//! with range requests.

mod common;

use std::time::{Duration, Instant};

use common::{TestCorpus, TestServer};

const RECORD: &str = "training/failover-drill.md";

const VTT: &str = "WEBVTT\n\n00:03:05.000 --> 00:03:09.000\n<v 林美華>先確認 DR 站歸檔日誌落後小於五分鐘\n\n00:58:10.000 --> 00:58:20.000\n回切前請網路組清 ARP 快取 cueprobeone\n";

/// Polls `/api/search?q=q` until `done` accepts the response.
fn wait_for(
    s: &TestServer,
    q: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let r = s.json(&format!("/api/search?q={q}"));
        if done(&r) {
            return r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{q}: never as expected: {r}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The first hit for `q`, once it is `id` (the watcher may still be working).
fn wait_for_hit(s: &TestServer, q: &str, id: &str) -> serde_json::Value {
    wait_for(s, q, |r| r["hits"][0]["id"] == id)["hits"][0].clone()
}

#[test]
fn transcript_cues_are_searchable_to_the_second_and_follow_edits() {
    let s = TestServer::start_with("mini", |_| {});
    s.corpus.write("training/failover-drill.vtt", VTT);

    // A new sibling transcript re-indexes the record; the hit names the cue.
    let hit = wait_for_hit(&s, "cueprobeone", RECORD);
    assert_eq!(hit["segment"]["at"], "00:58:10");
    assert_eq!(hit["segment"]["seconds"], 3490);
    assert_eq!(hit["segment"]["source"], "transcript");
    // Traditional cue, Simplified query.
    let hit = wait_for_hit(&s, "%E5%BD%92%E6%A1%A3%E6%97%A5%E5%BF%97", RECORD); // 归档日志
    assert_eq!(hit["segment"]["at"], "00:03:05");
    let doc = s.json(&format!("/api/docs/{RECORD}"));
    let segments = doc["segments"].as_array().unwrap();
    let ats: Vec<&str> = segments.iter().map(|x| x["at"].as_str().unwrap()).collect();
    assert_eq!(ats, ["00:03:05", "00:12:30", "00:45:00", "00:58:10"]);

    // Editing only the transcript changes what is found.
    s.corpus.write(
        "training/failover-drill.vtt",
        VTT.replace("cueprobeone", "cueprobetwo"),
    );
    let hit = wait_for_hit(&s, "cueprobetwo", RECORD);
    assert_eq!(hit["segment"]["at"], "00:58:10");
    assert_eq!(s.json("/api/search?q=cueprobeone")["total"], 0);

    // Removing it removes the cues.
    std::fs::remove_file(s.corpus.corpus.join("training/failover-drill.vtt")).unwrap();
    wait_for(&s, "cueprobetwo", |r| r["total"] == 0);
}

#[test]
fn a_transcript_named_in_front_matter_and_edited_while_down_is_picked_up() {
    let t = TestCorpus::fixture("mini");
    let record = std::fs::read_to_string(t.corpus.join(RECORD)).unwrap();
    t.write(
        RECORD,
        record.replacen("duration:", "transcript: subs/drill.srt\nduration:", 1),
    );
    t.write(
        "training/subs/drill.srt",
        "1\r\n00:20:00,000 --> 00:20:05,000\r\nsrtprobe listener check\r\n",
    );
    let first = t.reconcile();
    assert_eq!(first.indexed, 1, "{first:?}");
    let hits = t.search("srtprobe");
    assert_eq!(hits.hits[0].id, RECORD);
    assert_eq!(hits.hits[0].segment.as_ref().unwrap().at, "00:20:00");

    // Nothing changed: nothing read.
    let again = t.reconcile();
    assert_eq!((again.indexed, again.bytes), (0, 0), "{again:?}");

    // Only the transcript changes (as if edited while baton was stopped).
    std::thread::sleep(Duration::from_millis(20));
    t.write(
        "training/subs/drill.srt",
        "1\r\n00:21:00,000 --> 00:21:05,000\r\nsrtprobe listener restarted\r\n",
    );
    let after = t.reconcile();
    assert_eq!(after.indexed, 1, "{after:?}");
    let hits = t.search("srtprobe");
    assert_eq!(hits.hits[0].segment.as_ref().unwrap().at, "00:21:00");
}

#[test]
fn broken_transcripts_are_problems_not_failures() {
    let t = TestCorpus::fixture("mini");
    t.write(
        "training/failover-drill.vtt",
        "WEBVTT\n\nnot-a-time --> 00:00:02.000\nlost words\n\n00:00:03.000 --> 00:00:04.000\nkept words\n",
    );
    let report = t.reconcile();
    let p = report
        .problems
        .iter()
        .find(|p| p.path == RECORD)
        .expect("a transcript problem on the record");
    assert!(p.message.contains("line 3"), "{p:?}");
    assert_eq!(t.search("kept words").hits[0].id, RECORD);
    assert_eq!(t.search("lost").total, 0);
}

#[test]
fn recordings_in_the_corpus_are_served_with_ranges() {
    let s = TestServer::start_with("mini", |_| {});
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    s.corpus.write("training/media/drill.wav", &bytes);

    let whole = s.get("/api/media/training/media/drill.wav");
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.header("content-length"), Some("10000"));

    let part = s.get_with(
        "/api/media/training/media/drill.wav",
        &[("Range", "bytes=1000-1009")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some("bytes 1000-1009/10000"));
    assert_eq!(part.raw_body(), &bytes[1000..1010]);

    let beyond = s.get_with(
        "/api/media/training/media/drill.wav",
        &[("Range", "bytes=20000-")],
    );
    assert_eq!(beyond.status, 416);

    for bad in [
        "/api/media/training/..%2f..%2f..%2fetc%2fpasswd.wav",
        "/api/media/../Cargo.toml",
        "/api/media/training/failover-drill.md",
        "/api/media/training/.hidden.wav",
        "/api/media/training/media/missing.wav",
    ] {
        assert_eq!(s.get(bad).status, 404, "{bad}");
    }
}

#[test]
fn a_training_record_offers_its_corpus_recording() {
    let s = TestServer::start_with("mini", |_| {});
    let record = std::fs::read_to_string(s.corpus.corpus.join(RECORD)).unwrap();
    s.corpus.write(
        RECORD,
        record.replacen(
            "recording: https://video.bank.example/training/failover-2025",
            "recording: media/drill.webm",
            1,
        ),
    );
    let doc = s.json(&format!("/api/docs/{RECORD}"));
    assert_eq!(doc["recording"], "/api/media/training/media/drill.webm");
}
