-- Comment search finds what SQLite's FTS5 finds with its unicode61 tokenizer (docs/postgres.md,
-- "Search"). 0001's column parsed comments with PostgreSQL's default parser, which keeps
-- `user@example.com`, `kebab-case` and `v2.1` whole (so `example` or `case` missed them) and, in a
-- C-locale database, keeps case and accents outside ASCII. Comments and the words of a query now go
-- through this one function, so both sides always split and fold alike: combining marks dropped,
-- case folded (`lower` folds only ASCII in the C locale, so Latin, Greek and Cyrillic capitals are
-- mapped too), accents of Latin letters removed, and ASCII punctuation and the common Unicode
-- punctuation, symbol and space blocks made spaces, so the parser sees plain words.
CREATE FUNCTION feedback_search_text(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT pg_catalog.regexp_replace(
        pg_catalog.translate(pg_catalog.regexp_replace(pg_catalog.lower($1), '[\u0300-\u036f]+', '', 'g'),
            'ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžØΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЁ',
            'abcdefghijklmnopqrstuvwxyzaaaaaaaaaaaacceeeeeeeeiiiiiiiinnoooooooooouuuuuuuuyyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzøαβγδεζηθικλμνξοπρστυφχψωабвгдежзийклмнопрстуфхцчшщъыьэюяё'),
        '[\u0001-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u00a9\u00ab-\u00b1\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7\u2000-\u206f\u20a0-\u20cf\u2100-\u214f\u2190-\u23ff\u2500-\u27bf\u2900-\u2bff\u3000-\u3004\u3008-\u3020\u3030\ufe10-\ufe6f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\U0001f000-\U0001faff]+',
        ' ', 'g')
$$;

ALTER TABLE feedback DROP COLUMN comment_search;
ALTER TABLE feedback ADD COLUMN comment_search TSVECTOR
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(feedback_search_text(comment), ''))) STORED;
CREATE INDEX feedback_comment_search ON feedback USING GIN (comment_search);
