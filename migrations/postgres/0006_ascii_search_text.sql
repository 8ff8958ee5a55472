-- The same words as 0005's feedback_search_text, for less: a comment (or query) that is plain ASCII
-- skips `translate`, which walks its 330-letter table for every character and was 6% of the ingest
-- writer's PostgreSQL CPU in a POST benchmark (perf), through the generated `comment_search` column.
-- For ASCII text the skipped steps change nothing: after `lower` no capital is left for the table to
-- map and no combining mark for the first pattern to drop. Text with any other character takes 0005's
-- path unchanged, so the stored vectors stay what they are and need no rewrite.
-- Not STRICT any more: a STRICT SQL function is inlined only when its body is strict, which a CASE is
-- not, and a function that is not inlined costs more per call than `translate` did. NULL still gives
-- NULL: the comparison is NULL, so the ELSE branch runs on NULL, and every function there is strict.
CREATE OR REPLACE FUNCTION feedback_search_text(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN pg_catalog.octet_length($1) = pg_catalog.char_length($1)
        THEN pg_catalog.regexp_replace(pg_catalog.lower($1),
            '[\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7\u2000-\u206f\u20a0-\u20cf\u2100-\u214f\u2190-\u23ff\u2500-\u27bf\u2900-\u2bff\u3000-\u3004\u3008-\u3020\u3030\ufe10-\ufe6f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\U0001f000-\U0001faff]+',
        ' ', 'g')
        ELSE pg_catalog.regexp_replace(
        pg_catalog.translate(pg_catalog.regexp_replace(pg_catalog.lower($1), '[\u0300-\u036f]+', '', 'g'),
            'ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžØΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЁ',
            'abcdefghijklmnopqrstuvwxyzaaaaaaaaaaaacceeeeeeeeiiiiiiiinnoooooooooouuuuuuuuyyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzøαβγδεζηθικλμνξοπρστυφχψωабвгдежзийклмнопрстуфхцчшщъыьэюяё'),
        '[\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7\u2000-\u206f\u20a0-\u20cf\u2100-\u214f\u2190-\u23ff\u2500-\u27bf\u2900-\u2bff\u3000-\u3004\u3008-\u3020\u3030\ufe10-\ufe6f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\U0001f000-\U0001faff]+',
        ' ', 'g')
    END
$$;
