BEGIN TRANSACTION;
CREATE TABLE changes (
    commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    qualname TEXT NOT NULL,
    old_path TEXT,
    old_qualname TEXT,
    kind TEXT NOT NULL,
    types INTEGER NOT NULL,
    lines_added INTEGER NOT NULL,
    lines_removed INTEGER NOT NULL,
    complexity INTEGER,
    lineage TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL
);
INSERT INTO "changes" VALUES(0,'app.py','serve',NULL,NULL,'added',1,2,0,1,'e73f9e1822980f83',1,2);
INSERT INTO "changes" VALUES(1,'app.py','halt',NULL,NULL,'added',1,3,0,1,'6a54b8c41652dade',5,7);
INSERT INTO "changes" VALUES(2,'app.py','stop','app.py','halt','renamed',64,1,1,1,'6a54b8c41652dade',5,7);
CREATE TABLE commits (
    id INTEGER PRIMARY KEY,
    sha TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    parents TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    authored_at INTEGER NOT NULL,
    author_offset INTEGER NOT NULL,
    committer_name TEXT NOT NULL,
    committer_email TEXT NOT NULL,
    committed_at INTEGER NOT NULL,
    committer_offset INTEGER NOT NULL,
    summary TEXT NOT NULL,
    raw_author_name TEXT NOT NULL,
    raw_author_email TEXT NOT NULL,
    raw_committer_name TEXT NOT NULL,
    raw_committer_email TEXT NOT NULL
);
INSERT INTO "commits" VALUES(0,'b9b421aa2cd28abe6f5ce7f5d439b4ca875309ca',0,'','Ada Lovelace','ada@example.com',1700003600,60,'Ada Lovelace','ada@example.com',1700003600,60,'change','Ada Lovelace','ada@example.com','Ada Lovelace','ada@example.com');
INSERT INTO "commits" VALUES(1,'75a95a126a723b24e9df756d1aa6ac51bb43d257',1,'b9b421aa2cd28abe6f5ce7f5d439b4ca875309ca','Ada Lovelace','ada@example.com',1700007200,60,'Ada Lovelace','ada@example.com',1700007200,60,'change','Ada Lovelace','ada@example.com','Ada Lovelace','ada@example.com');
INSERT INTO "commits" VALUES(2,'90a25358fa47d37276fbe84f5256a07183632cd4',2,'75a95a126a723b24e9df756d1aa6ac51bb43d257','Ada Lovelace','ada@example.com',1700010800,60,'Ada Lovelace','ada@example.com',1700010800,60,'change','Ada Lovelace','ada@example.com','Ada Lovelace','ada@example.com');
CREATE TABLE coverage_files (
    snapshot INTEGER NOT NULL REFERENCES coverage_snapshots(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    blob TEXT NOT NULL,
    executed TEXT NOT NULL,
    coverable TEXT NOT NULL,
    contexts TEXT
);
INSERT INTO "coverage_files" VALUES(1,'app.py','b120b6077352fb146e8a498df9d938f536cfc66a','2','2,6-7',NULL);
CREATE TABLE coverage_functions (
    snapshot INTEGER NOT NULL REFERENCES coverage_snapshots(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    qualname TEXT NOT NULL,
    lineage TEXT,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    covered INTEGER NOT NULL,
    coverable INTEGER NOT NULL,
    missing TEXT NOT NULL,
    tests TEXT
);
INSERT INTO "coverage_functions" VALUES(1,'app.py','serve','e73f9e1822980f83',1,2,1,1,'',NULL);
INSERT INTO "coverage_functions" VALUES(1,'app.py','stop','6a54b8c41652dade',5,7,0,2,'6-7',NULL);
CREATE TABLE coverage_snapshots (
    id INTEGER PRIMARY KEY,
    commit_sha TEXT NOT NULL,
    format TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    measured_at INTEGER,
    has_contexts INTEGER NOT NULL,
    unmatched TEXT NOT NULL,
    stale TEXT NOT NULL,
    digest TEXT NOT NULL
);
INSERT INTO "coverage_snapshots" VALUES(1,'90a25358fa47d37276fbe84f5256a07183632cd4','lcov','/tmp/old-index/coverage.lcov',1796324387,NULL,0,'[]','[]','98a889f4a26ad18bae864a951031a14cfce338fab68af53e13da0222d1388c7b');
CREATE TABLE head_files (path TEXT PRIMARY KEY, blob TEXT NOT NULL);
INSERT INTO "head_files" VALUES('app.py','b120b6077352fb146e8a498df9d938f536cfc66a');
CREATE TABLE head_functions (
    path TEXT NOT NULL,
    qualname TEXT NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    lineage TEXT NOT NULL,
    PRIMARY KEY (path, qualname)
);
INSERT INTO "head_functions" VALUES('app.py','serve',1,2,'e73f9e1822980f83');
INSERT INTO "head_functions" VALUES('app.py','stop',5,7,'6a54b8c41652dade');
CREATE TABLE merge_sources (
    commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    parent INTEGER,
    qualname TEXT,
    lineage TEXT
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('options','first_parent=0;max_file_bytes=8000000');
INSERT INTO "meta" VALUES('ref','HEAD');
INSERT INTO "meta" VALUES('mailmap','');
INSERT INTO "meta" VALUES('head','90a25358fa47d37276fbe84f5256a07183632cd4');
CREATE TABLE skips (
    commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    blob TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE tip_state (path TEXT NOT NULL, qualname TEXT NOT NULL, lineage TEXT NOT NULL);
INSERT INTO "tip_state" VALUES('app.py','serve','e73f9e1822980f83');
INSERT INTO "tip_state" VALUES('app.py','stop','6a54b8c41652dade');
CREATE INDEX commits_by_author ON commits(author_email);
CREATE INDEX changes_by_commit ON changes(commit_id);
CREATE INDEX changes_by_function ON changes(path, qualname);
CREATE INDEX changes_by_lineage ON changes(lineage);
CREATE INDEX skips_by_commit ON skips(commit_id);
CREATE INDEX merge_sources_by_commit ON merge_sources(commit_id);
CREATE INDEX coverage_files_by_snapshot ON coverage_files(snapshot, path);
CREATE INDEX coverage_functions_by_lineage ON coverage_functions(lineage);
CREATE INDEX coverage_snapshots_by_digest ON coverage_snapshots(digest);
COMMIT;
PRAGMA user_version=2;
