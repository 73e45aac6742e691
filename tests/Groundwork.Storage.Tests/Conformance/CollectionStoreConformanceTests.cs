namespace Groundwork.Storage.Tests.Conformance;

/// <summary>
/// The behaviour every <see cref="IStoreProvider"/>/<see cref="ICollectionStore"/> backend must show. A backend's test
/// project subclasses this and implements <see cref="CreateProviderAsync"/>; nothing here may depend on a backend.
/// </summary>
/// <remarks>
/// xunit makes a new instance per test. <see cref="CreateProviderAsync"/> may be called more than once in a test:
/// every call must return a provider over the same storage (that is how reopening is tested), and the subclass
/// cleans that storage up in <see cref="CleanupAsync"/>.
/// </remarks>
public abstract class CollectionStoreConformanceTests : IAsyncDisposable
{
    private readonly List<ICollectionStore> _opened = [];

    /// <summary>A provider over this test's storage (same storage on every call within one test).</summary>
    protected abstract Task<IStoreProvider> CreateProviderAsync();

    /// <summary>Whether a store can be closed and opened again with its data (false for in-memory backends).</summary>
    protected virtual bool SupportsReopen => true;

    /// <summary>Removes this test's storage after every store opened by the suite has been disposed.</summary>
    protected virtual ValueTask CleanupAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened) await store.DisposeAsync();
        _opened.Clear();
        await CleanupAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task<ICollectionStore> OpenAsync(string name = "conformance")
    {
        var provider = await CreateProviderAsync();
        var store = await provider.OpenAsync(name, TestContext.Current.CancellationToken);
        _opened.Add(store);
        return store;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task UpsertAsync(ICollectionStore store, (StoredDocument Document, IReadOnlyList<StoredChunk> Chunks) doc)
        => store.UpsertDocumentAsync(doc.Document, doc.Chunks, Ct);

    private static async Task<List<StoredDocument>> ListAsync(ICollectionStore store)
    {
        var list = new List<StoredDocument>();
        await foreach (var d in store.ListDocumentsAsync(Ct)) list.Add(d);
        return list;
    }

    // ---- documents and chunks ----

    [Fact]
    public async Task Upsert_then_get_round_trips_every_field()
    {
        var store = await OpenAsync();
        var tags = new Dictionary<string, string> { ["team"] = "infra", ["lang"] = "en" };
        var doc = TestDocs.Make("guide", "Deployment guide", ["Install the agent first.", "Then configure the firewall."],
            tags, ["staff"], ["Guide", "Setup"]);
        await UpsertAsync(store, doc);

        var got = await store.GetDocumentAsync("guide", Ct);
        Assert.NotNull(got);
        Assert.Equal(doc.Document.Id, got.Id);
        Assert.Equal(doc.Document.SourcePath, got.SourcePath);
        Assert.Equal("Deployment guide", got.Title);
        Assert.Equal(doc.Document.MediaType, got.MediaType);
        Assert.Equal(doc.Document.ContentHash, got.ContentHash);
        Assert.Equal(doc.Document.ByteSize, got.ByteSize);
        Assert.Equal(TestDocs.Modified, got.ModifiedUtc);
        Assert.Equal(TestDocs.Ingested, got.IngestedUtc);
        Assert.Equal(2, got.PageCount);
        Assert.Equal(doc.Document.Text, got.Text);
        Assert.Equal(tags.OrderBy(p => p.Key), got.Tags.OrderBy(p => p.Key));
        Assert.Equal(["staff"], got.AccessLabels);

        var chunks = await store.GetChunksAsync("guide", Ct);
        Assert.Equal(2, chunks.Count);
        for (int i = 0; i < 2; i++)
        {
            var want = doc.Chunks[i];
            var have = chunks[i];
            Assert.Equal(want.Id, have.Id);
            Assert.Equal(want.DocumentId, have.DocumentId);
            Assert.Equal(want.Ordinal, have.Ordinal);
            Assert.Equal(want.Text, have.Text);
            Assert.Equal(want.StartOffset, have.StartOffset);
            Assert.Equal(want.EndOffset, have.EndOffset);
            Assert.Equal(["Guide", "Setup"], have.SectionPath);
            Assert.Equal(want.PageStart, have.PageStart);
            Assert.Equal(want.PageEnd, have.PageEnd);
            Assert.Equal(want.TokenCount, have.TokenCount);
            Assert.Equal(want.ContentHash, have.ContentHash);
            Assert.Equal(got.Text[have.StartOffset..have.EndOffset], have.Text);
        }
    }

    [Fact]
    public async Task Missing_document_reads_as_null_and_empty()
    {
        var store = await OpenAsync();
        Assert.Null(await store.GetDocumentAsync("nope", Ct));
        Assert.Empty(await store.GetChunksAsync("nope", Ct));
        Assert.Empty(await store.GetChunksByIdAsync(["nope#0"], Ct));
        Assert.False(await store.RemoveDocumentAsync("nope", Ct));
        Assert.Empty(await ListAsync(store));
    }

    [Fact]
    public async Task Null_title_and_unicode_text_round_trip()
    {
        var store = await OpenAsync();
        var doc = TestDocs.Make("uni", null, ["Größe of the café: 東京 👍 naïve"]);
        await UpsertAsync(store, doc);
        var got = await store.GetDocumentAsync("uni", Ct);
        Assert.NotNull(got);
        Assert.Null(got.Title);
        Assert.Equal(doc.Document.Text, got.Text);
        Assert.Equal(doc.Chunks[0].Text, (await store.GetChunksAsync("uni", Ct))[0].Text);
    }

    [Fact]
    public async Task List_returns_every_document_without_text()
    {
        var store = await OpenAsync();
        for (int i = 0; i < 7; i++) await UpsertAsync(store, TestDocs.Make($"d{i}", $"Title {i}", [$"body number {i}"]));
        var list = await ListAsync(store);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"d{i}").Order(StringComparer.Ordinal), list.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.All(list, d => Assert.Equal("", d.Text));
        Assert.All(list, d => Assert.Equal($"Title {d.Id[1..]}", d.Title));
    }

    [Fact]
    public async Task Get_chunks_by_id_follows_request_order_and_skips_missing()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("a", "A", ["alpha one", "alpha two"]));
        await UpsertAsync(store, TestDocs.Make("b", "B", ["beta one"]));
        var got = await store.GetChunksByIdAsync(["b#0", "missing", "a#1", "a#0"], Ct);
        Assert.Equal(["b#0", "a#1", "a#0"], got.Select(c => c.Id));
        Assert.Equal("alpha two", got[1].Text);
    }

    [Fact]
    public async Task Remove_deletes_document_chunks_and_search_hits()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("gone", "Zebra facts", ["zebras have stripes"]));
        await UpsertAsync(store, TestDocs.Make("kept", "Horse facts", ["horses have manes"]));
        Assert.NotEmpty(await store.KeywordSearchAsync("zebras", 10, null, Ct));

        Assert.True(await store.RemoveDocumentAsync("gone", Ct));
        Assert.Null(await store.GetDocumentAsync("gone", Ct));
        Assert.Empty(await store.GetChunksAsync("gone", Ct));
        Assert.Empty(await store.GetChunksByIdAsync(["gone#0"], Ct));
        Assert.Empty(await store.KeywordSearchAsync("zebras stripes", 10, null, Ct));
        Assert.False(await store.RemoveDocumentAsync("gone", Ct));
        Assert.Single(await store.KeywordSearchAsync("horses", 10, null, Ct));
    }

    [Fact]
    public async Task Reupsert_replaces_chunks_and_old_text_is_no_longer_found()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("doc", "Old title", ["pelican migration routes", "pelican diet", "pelican nests"]));
        await UpsertAsync(store, TestDocs.Make("doc", "New title", ["flamingo colour comes from shrimp"]));

        var chunks = await store.GetChunksAsync("doc", Ct);
        Assert.Single(chunks);
        Assert.Equal("flamingo colour comes from shrimp", chunks[0].Text);
        Assert.Empty(await store.GetChunksByIdAsync(["doc#1", "doc#2"], Ct));
        Assert.Empty(await store.KeywordSearchAsync("pelican", 10, null, Ct));
        Assert.Empty(await store.KeywordSearchAsync("old", 10, null, Ct)); // the old title is gone from the index too
        var hits = await store.KeywordSearchAsync("flamingo", 10, null, Ct);
        Assert.Single(hits);
        Assert.Equal("New title", hits[0].Document.Title);
        Assert.Single(await ListAsync(store));
    }

    [Fact]
    public async Task Version_increases_with_every_change_and_not_on_reads()
    {
        var store = await OpenAsync();
        long v0 = await store.GetVersionAsync(Ct);
        await UpsertAsync(store, TestDocs.Make("a", "A", ["one"]));
        long v1 = await store.GetVersionAsync(Ct);
        Assert.True(v1 > v0);

        await store.GetDocumentAsync("a", Ct);
        await store.KeywordSearchAsync("one", 5, null, Ct);
        await store.GetStatsAsync(Ct);
        Assert.Equal(v1, await store.GetVersionAsync(Ct));

        await UpsertAsync(store, TestDocs.Make("a", "A", ["two"]));
        long v2 = await store.GetVersionAsync(Ct);
        Assert.True(v2 > v1);
        // Settings are not content: caches kept in settings must not invalidate themselves.
        await store.SetSettingAsync("embedding.model", "m1", Ct);
        long v3 = await store.GetVersionAsync(Ct);
        Assert.Equal(v2, v3);
        Assert.True(await store.RemoveDocumentAsync("a", Ct));
        long v4 = await store.GetVersionAsync(Ct);
        Assert.True(v4 > v3);
        Assert.Equal(v4, (await store.GetStatsAsync(Ct)).Version);
    }

    // ---- keyword search ----

    [Fact]
    public async Task Term_in_title_ranks_above_term_only_in_body()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("body", "Garden notes", ["We planted tomatoes near the compost heap in spring."]));
        await UpsertAsync(store, TestDocs.Make("title", "Compost guide", ["We planted tomatoes near the bins in spring again."]));
        var hits = await store.KeywordSearchAsync("compost", 10, null, Ct);
        Assert.Equal(["title", "body"], hits.Select(h => h.Document.Id));
        Assert.True(hits[0].Score > hits[1].Score);
        Assert.StartsWith("We planted", hits[0].Snippet, StringComparison.Ordinal); // title-only match: snippet shows the text
        Assert.Contains("«compost»", hits[1].Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_occurrences_rank_higher_and_scores_descend()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("once", "Doc", ["the kernel handles interrupts and also schedules threads on cores"]));
        await UpsertAsync(store, TestDocs.Make("thrice", "Doc", ["interrupts, interrupts and more interrupts reach the handler first"]));
        await UpsertAsync(store, TestDocs.Make("none", "Doc", ["a completely unrelated sentence about breakfast cereal"]));
        var hits = await store.KeywordSearchAsync("interrupts", 10, null, Ct);
        Assert.Equal(["thrice", "once"], hits.Select(h => h.Document.Id));
        for (int i = 1; i < hits.Count; i++) Assert.True(hits[i - 1].Score >= hits[i].Score);
    }

    [Fact]
    public async Task Natural_language_question_finds_chunk_with_some_of_its_words()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("vpn", "Remote access", ["Employees connect through the VPN gateway using hardware tokens."]));
        await UpsertAsync(store, TestDocs.Make("food", "Canteen", ["Lunch is served from noon until two."]));
        var hits = await store.KeywordSearchAsync("How do I connect to the VPN from home?", 10, null, Ct);
        Assert.NotEmpty(hits);
        Assert.Equal("vpn", hits[0].Document.Id);
        Assert.DoesNotContain(hits, h => h.Document.Id == "food"); // stopwords alone ("the", "from") do not match
    }

    [Fact]
    public async Task English_word_forms_match_by_stem()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("d", "Doc", ["The crawler indexed forty thousand pages."]));
        var hits = await store.KeywordSearchAsync("indexing", 10, null, Ct);
        Assert.Single(hits);
    }

    [Theory]
    [InlineData("\"unbalanced quote")]
    [InlineData("title:compost")]
    [InlineData("compost AND OR NOT")]
    [InlineData("NEAR(compost heap, 3)")]
    [InlineData("comp* ^heap -(x) {a b} [c] + ; ' \\ / | & $ % # @ !")]
    [InlineData("'); DROP TABLE documents; --")]
    [InlineData("compost\theap")]
    [InlineData("🙂🙃 compost?!")]
    [InlineData("AND")]
    [InlineData("*")]
    public async Task Punctuation_and_operators_never_throw(string query)
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("g", "Compost guide", ["Turn the compost heap weekly."]));
        var hits = await store.KeywordSearchAsync(query, 10, null, Ct);
        if (query.Contains("compost", StringComparison.Ordinal)) Assert.Single(hits);
        Assert.NotNull(await store.GetDocumentAsync("g", Ct)); // and nothing was damaged
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("?!.,;:")]
    public async Task Empty_queries_return_no_hits(string query)
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("g", "Guide", ["some text"]));
        Assert.Empty(await store.KeywordSearchAsync(query, 10, null, Ct));
    }

    [Fact]
    public async Task Stopword_only_query_still_searches_its_words()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("hamlet", "Hamlet", ["To be, or not to be, that is the question."]));
        await UpsertAsync(store, TestDocs.Make("other", "Other", ["Completely different words here."]));
        var hits = await store.KeywordSearchAsync("to be or not to be", 10, null, Ct);
        Assert.Equal(["hamlet"], hits.Select(h => h.Document.Id));
    }

    [Fact]
    public async Task Limit_caps_results_and_zero_returns_none()
    {
        var store = await OpenAsync();
        for (int i = 0; i < 6; i++) await UpsertAsync(store, TestDocs.Make($"d{i}", "Doc", [$"shared keyword plus filler {i}"]));
        Assert.Equal(3, (await store.KeywordSearchAsync("keyword", 3, null, Ct)).Count);
        Assert.Equal(6, (await store.KeywordSearchAsync("keyword", 100, null, Ct)).Count);
        Assert.Empty(await store.KeywordSearchAsync("keyword", 0, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.KeywordSearchAsync("keyword", -1, null, Ct));
    }

    [Fact]
    public async Task Hits_carry_chunk_document_and_marked_snippet()
    {
        var store = await OpenAsync();
        var doc = TestDocs.Make("d", "Manual", ["Intro text.", "To reset the router, hold the Reset button for ten seconds."], labels: ["staff"]);
        await UpsertAsync(store, doc);
        var hits = await store.KeywordSearchAsync("reset", 10, null, Ct);
        var hit = Assert.Single(hits);
        Assert.Equal("d#1", hit.Chunk.Id);
        Assert.Equal(doc.Chunks[1].Text, hit.Chunk.Text);
        Assert.Equal(doc.Chunks[1].StartOffset, hit.Chunk.StartOffset);
        Assert.Equal("Manual", hit.Document.Title);
        Assert.Equal(doc.Document.SourcePath, hit.Document.SourcePath);
        Assert.Equal(["staff"], hit.Document.AccessLabels);
        Assert.Contains("«reset»", hit.Snippet, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("«Reset»", hit.Snippet, StringComparison.Ordinal); // keeps the text's own case
        Assert.DoesNotContain("«router»", hit.Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_chunk_snippet_is_shortened_around_the_match()
    {
        var store = await OpenAsync();
        var words = Enumerable.Range(0, 200).Select(i => $"filler{i}").ToList();
        words.Insert(150, "needle");
        await UpsertAsync(store, TestDocs.Make("long", "Doc", [string.Join(' ', words)]));
        var hit = Assert.Single(await store.KeywordSearchAsync("needle", 5, null, Ct));
        Assert.Contains("«needle»", hit.Snippet, StringComparison.Ordinal);
        Assert.Contains('…', hit.Snippet);
        Assert.True(hit.Snippet.Length < 400, $"snippet too long: {hit.Snippet.Length} chars");
    }

    [Fact]
    public async Task Tag_filter_requires_every_tag()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("a", "Doc", ["budget report"], new Dictionary<string, string> { ["team"] = "fin", ["year"] = "2024" }));
        await UpsertAsync(store, TestDocs.Make("b", "Doc", ["budget report"], new Dictionary<string, string> { ["team"] = "fin", ["year"] = "2023" }));
        await UpsertAsync(store, TestDocs.Make("c", "Doc", ["budget report"], new Dictionary<string, string> { ["team"] = "ops" }));
        async Task<string[]> Ids(Dictionary<string, string> tags)
            => (await store.KeywordSearchAsync("budget", 10, new SearchFilter { Tags = tags }, Ct)).Select(h => h.Document.Id).Order().ToArray();
        Assert.Equal(["a", "b"], await Ids(new() { ["team"] = "fin" }));
        Assert.Equal(["a"], await Ids(new() { ["team"] = "fin", ["year"] = "2024" }));
        Assert.Empty(await Ids(new() { ["team"] = "hr" }));
        Assert.Equal(["a", "b", "c"], await Ids(new()));
    }

    [Fact]
    public async Task Access_labels_hide_documents_the_caller_cannot_see()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("public", "Doc", ["salary bands"]));
        await UpsertAsync(store, TestDocs.Make("hr", "Doc", ["salary bands"], labels: ["hr"]));
        await UpsertAsync(store, TestDocs.Make("exec", "Doc", ["salary bands"], labels: ["exec", "board"]));
        async Task<string[]> Ids(SearchFilter? f)
            => (await store.KeywordSearchAsync("salary", 10, f, Ct)).Select(h => h.Document.Id).Order().ToArray();
        Assert.Equal(["exec", "hr", "public"], await Ids(null));
        Assert.Equal(["public"], await Ids(new SearchFilter { AccessLabels = [] }));
        Assert.Equal(["hr", "public"], await Ids(new SearchFilter { AccessLabels = ["hr"] }));
        Assert.Equal(["exec", "public"], await Ids(new SearchFilter { AccessLabels = ["board", "nobody"] }));
    }

    [Fact]
    public async Task Document_id_filter_and_combined_filters()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("x", "Doc", ["printer jam"], new Dictionary<string, string> { ["site"] = "oslo" }));
        await UpsertAsync(store, TestDocs.Make("y", "Doc", ["printer toner"], new Dictionary<string, string> { ["site"] = "oslo" }, ["it"]));
        await UpsertAsync(store, TestDocs.Make("z", "Doc", ["printer paper"], new Dictionary<string, string> { ["site"] = "rome" }));
        async Task<string[]> Ids(SearchFilter f)
            => (await store.KeywordSearchAsync("printer", 10, f, Ct)).Select(h => h.Document.Id).Order().ToArray();
        Assert.Equal(["x", "z"], await Ids(new SearchFilter { DocumentIds = ["x", "z", "unknown"] }));
        Assert.Empty(await Ids(new SearchFilter { DocumentIds = [] }));
        Assert.Equal(["x"], await Ids(new SearchFilter
        {
            DocumentIds = ["x", "y"],
            Tags = new Dictionary<string, string> { ["site"] = "oslo" },
            AccessLabels = ["finance"],
        }));
    }

    // ---- interaction log ----

    [Fact]
    public async Task Interaction_log_appends_lists_newest_first_and_takes_feedback()
    {
        var store = await OpenAsync();
        long version = await store.GetVersionAsync(Ct);
        var first = await store.AppendInteractionAsync(new InteractionRecord
        {
            Question = "How long is leave?", Answer = "16 weeks [1]", Citations = ["[1] leave.md"], Groundedness = 1,
            Retrieved = [new RetrievedChunkLog("a:0", 3.5)], LatencyMs = new Dictionary<string, double> { ["retrieve"] = 2.5 },
            PromptTokens = 120, CompletionTokens = 8, Model = "m",
        }, Ct);
        var second = await store.AppendInteractionAsync(new InteractionRecord { Question = "Second?", Answer = "No answer", Abstained = true }, Ct);
        Assert.NotEqual(first, second);
        Assert.Equal(version, await store.GetVersionAsync(Ct));

        Assert.True(await store.SetFeedbackAsync(first, "good", Ct));
        Assert.False(await store.SetFeedbackAsync("missing", "bad", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SetFeedbackAsync(first, "meh", Ct));

        var all = new List<InteractionRecord>();
        await foreach (var r in store.ListInteractionsAsync(cancellationToken: Ct)) all.Add(r);
        Assert.Equal([second, first], all.Select(r => r.Id));
        Assert.Equal("good", all[1].Feedback);
        Assert.Null(all[0].Feedback);
        Assert.Equal(3.5, all[1].Retrieved[0].Score);
        Assert.Equal(2.5, all[1].LatencyMs["retrieve"]);
        Assert.True(all[0].Abstained);

        var newest = new List<InteractionRecord>();
        await foreach (var r in store.ListInteractionsAsync(1, Ct)) newest.Add(r);
        Assert.Equal(second, Assert.Single(newest).Id);
    }

    // ---- settings and stats ----

    [Fact]
    public async Task Settings_set_overwrite_and_remove()
    {
        var store = await OpenAsync();
        Assert.Null(await store.GetSettingAsync("embedding.model", Ct));
        await store.SetSettingAsync("embedding.model", "bge-small", Ct);
        await store.SetSettingAsync("chunk.size", "512", Ct);
        Assert.Equal("bge-small", await store.GetSettingAsync("embedding.model", Ct));
        await store.SetSettingAsync("embedding.model", "e5", Ct);
        Assert.Equal("e5", await store.GetSettingAsync("embedding.model", Ct));
        await store.SetSettingAsync("embedding.model", null, Ct);
        Assert.Null(await store.GetSettingAsync("embedding.model", Ct));
        Assert.Equal("512", await store.GetSettingAsync("chunk.size", Ct));
    }

    [Fact]
    public async Task Stats_count_documents_chunks_and_bytes()
    {
        var store = await OpenAsync("stats");
        var a = TestDocs.Make("a", "A", ["one", "two", "three"]);
        var b = TestDocs.Make("b", "B", ["four"]);
        await UpsertAsync(store, a);
        await UpsertAsync(store, b);
        var stats = await store.GetStatsAsync(Ct);
        Assert.Equal("stats", stats.Name);
        Assert.Equal(2, stats.Documents);
        Assert.Equal(4, stats.Chunks);
        Assert.Equal(a.Document.ByteSize + b.Document.ByteSize, stats.SourceBytes);
        Assert.True(stats.StoreBytes > 0);
        Assert.True(stats.SchemaVersion >= 1);
        Assert.Equal(await store.GetVersionAsync(Ct), stats.Version);
    }

    // ---- collections, persistence ----

    [Fact]
    public async Task Collections_are_listed_and_isolated()
    {
        var first = await OpenAsync("first");
        var second = await OpenAsync("second");
        await UpsertAsync(first, TestDocs.Make("a", "A", ["only in first"]));
        Assert.Empty(await second.KeywordSearchAsync("first", 10, null, Ct));
        Assert.Null(await second.GetDocumentAsync("a", Ct));
        var provider = await CreateProviderAsync();
        var names = await provider.ListCollectionsAsync(Ct);
        Assert.Contains("first", names);
        Assert.Contains("second", names);
        Assert.Equal("first", first.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("has space")]
    [InlineData("dot.name")]
    public async Task Invalid_collection_names_are_rejected(string name)
    {
        var provider = await CreateProviderAsync();
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => provider.OpenAsync(name, Ct));
        Assert.Contains("collection name", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Data_survives_closing_and_reopening()
    {
        Assert.SkipUnless(SupportsReopen, "backend cannot reopen");
        var store = await OpenAsync("persist");
        await UpsertAsync(store, TestDocs.Make("a", "Persistent", ["durable words stay"]));
        await store.SetSettingAsync("k", "v", Ct);
        long version = await store.GetVersionAsync(Ct);
        await store.DisposeAsync();

        var reopened = await OpenAsync("persist");
        Assert.Equal("Persistent", (await reopened.GetDocumentAsync("a", Ct))?.Title);
        Assert.Single(await reopened.KeywordSearchAsync("durable", 10, null, Ct));
        Assert.Equal("v", await reopened.GetSettingAsync("k", Ct));
        Assert.Equal(version, await reopened.GetVersionAsync(Ct));
    }

    // ---- validation and atomicity ----

    [Fact]
    public async Task Invalid_offsets_are_rejected_and_previous_version_is_kept()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("doc", "Original", ["original alpha", "original beta"]));
        long version = await store.GetVersionAsync(Ct);

        var bad = TestDocs.Make("doc", "Replacement", ["replacement gamma", "replacement delta"]);
        var chunks = bad.Chunks.ToList();
        chunks[1] = chunks[1] with { EndOffset = bad.Document.Text.Length + 5 };
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.UpsertDocumentAsync(bad.Document, chunks, Ct));
        Assert.Contains("doc#1", e.Message, StringComparison.Ordinal);

        await AssertOriginalIntactAsync(store, version);
    }

    [Fact]
    public async Task Chunk_of_another_document_is_rejected()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("doc", "Original", ["original alpha", "original beta"]));
        long version = await store.GetVersionAsync(Ct);
        var bad = TestDocs.Make("doc", "Replacement", ["replacement gamma"]);
        var chunks = bad.Chunks.Select(c => c with { DocumentId = "other" }).ToList();
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.UpsertDocumentAsync(bad.Document, chunks, Ct));
        Assert.Contains("other", e.Message, StringComparison.Ordinal);
        await AssertOriginalIntactAsync(store, version);
    }

    [Fact]
    public async Task Chunk_text_that_differs_from_document_text_is_rejected()
    {
        var store = await OpenAsync();
        var bad = TestDocs.Make("doc", "T", ["some words here"]);
        var chunks = bad.Chunks.Select(c => c with { Text = "other words here" }).ToList();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.UpsertDocumentAsync(bad.Document, chunks, Ct));
        Assert.Null(await store.GetDocumentAsync("doc", Ct));
    }

    [Fact]
    public async Task Failure_midway_through_an_upsert_rolls_back_everything()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("doc", "Original", ["original alpha", "original beta"]));
        await UpsertAsync(store, TestDocs.Make("neighbour", "Neighbour", ["neighbour text"]));
        long version = await store.GetVersionAsync(Ct);

        // The second chunk reuses the id of another document's chunk: that only fails inside the backend, after the
        // old chunks were deleted and the first new chunk written.
        var bad = TestDocs.Make("doc", "Replacement", ["replacement gamma", "replacement delta"]);
        var chunks = bad.Chunks.ToList();
        chunks[1] = chunks[1] with { Id = "neighbour#0" };
        await Assert.ThrowsAnyAsync<Exception>(() => store.UpsertDocumentAsync(bad.Document, chunks, Ct));

        await AssertOriginalIntactAsync(store, version);
        Assert.Equal("neighbour text", (await store.GetChunksAsync("neighbour", Ct)).Single().Text);
        // The store still works after the failure.
        await UpsertAsync(store, TestDocs.Make("doc", "Fixed", ["fixed epsilon"]));
        Assert.Single(await store.KeywordSearchAsync("epsilon", 10, null, Ct));
    }

    private static async Task AssertOriginalIntactAsync(ICollectionStore store, long version)
    {
        Assert.Equal(version, await store.GetVersionAsync(Ct));
        Assert.Equal("Original", (await store.GetDocumentAsync("doc", Ct))?.Title);
        Assert.Equal(["original alpha", "original beta"], (await store.GetChunksAsync("doc", Ct)).Select(c => c.Text));
        Assert.Equal(2, (await store.KeywordSearchAsync("original", 10, null, Ct)).Count);
        Assert.Empty(await store.KeywordSearchAsync("replacement gamma delta", 10, null, Ct));
    }

    [Fact]
    public async Task Cancelled_calls_throw_and_write_nothing()
    {
        var store = await OpenAsync();
        long version = await store.GetVersionAsync(Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var doc = TestDocs.Make("c", "C", ["cancelled write"]);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.UpsertDocumentAsync(doc.Document, doc.Chunks, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.KeywordSearchAsync("cancelled", 5, null, cancelled.Token));
        Assert.Null(await store.GetDocumentAsync("c", Ct));
        Assert.Equal(version, await store.GetVersionAsync(Ct));
    }

    [Fact]
    public async Task Source_path_belongs_to_one_document()
    {
        var store = await OpenAsync();
        await UpsertAsync(store, TestDocs.Make("a", "A", ["alpha"], sourcePath: "/same/path.md"));
        await Assert.ThrowsAnyAsync<Exception>(() => UpsertAsync(store, TestDocs.Make("b", "B", ["beta"], sourcePath: "/same/path.md")));
        Assert.Null(await store.GetDocumentAsync("b", Ct));
        Assert.Equal("A", (await store.GetDocumentAsync("a", Ct))?.Title);
    }

    // ---- concurrency ----

    [Fact]
    public async Task Concurrent_upserts_and_searches_from_several_tasks()
    {
        var store = await OpenAsync();
        const int writers = 6, perWriter = 8;
        var tasks = new List<Task>();
        for (int w = 0; w < writers; w++)
        {
            int writer = w;
            tasks.Add(Task.Run(async () =>
            {
                for (int i = 0; i < perWriter; i++)
                {
                    var texts = Enumerable.Range(0, 1 + (i % 4)).Select(k => $"writer{writer} item{i} part{k} common").ToList();
                    await UpsertAsync(store, TestDocs.Make($"w{writer}-{i}", $"Doc {writer}/{i}", texts));
                }
            }, Ct));
        }
        tasks.Add(Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++) await store.KeywordSearchAsync("common", 5, null, Ct);
        }, Ct));
        await Task.WhenAll(tasks);

        var stats = await store.GetStatsAsync(Ct);
        Assert.Equal(writers * perWriter, stats.Documents);
        int expectedChunks = writers * Enumerable.Range(0, perWriter).Sum(i => 1 + (i % 4));
        Assert.Equal(expectedChunks, stats.Chunks);
        for (int w = 0; w < writers; w++)
        {
            for (int i = 0; i < perWriter; i++)
                Assert.Equal(1 + (i % 4), (await store.GetChunksAsync($"w{w}-{i}", Ct)).Count);
        }
        Assert.Equal(expectedChunks, (await store.KeywordSearchAsync("common", 1000, null, Ct)).Count);
    }
}
