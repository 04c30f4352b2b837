//! Pages of a designer's PDF (art exported from InDesign and the like) copied into our file
//! as Form XObjects: the page's content and every object its resources reach, renumbered.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use lopdf::{Document, Object, ObjectId};
use pdf_writer::{Name, Obj, Pdf, Rect, Ref, Str};

/// A page's box to place: its BleedBox when it has one, else its MediaBox (inherited too).
fn page_box(doc: &Document, page: ObjectId) -> Option<[f32; 4]> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..64 {
        for key in [b"BleedBox".as_slice(), b"MediaBox".as_slice()] {
            if let Ok(Object::Array(a)) = node.get_deref(key, doc) {
                let v: Vec<f32> = a.iter().filter_map(|o| o.as_float().ok()).collect();
                if let [x0, y0, x1, y1] = v[..] {
                    return Some([x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]);
                }
            }
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// Writes page `number` (1-based) of `doc` as a Form XObject `id`; returns its box.
///
/// # Errors
/// The reason when the page does not exist or has no usable box.
pub fn write_form(
    pdf: &mut Pdf,
    next: &mut i32,
    id: Ref,
    doc: &Document,
    number: u32,
    name: &Path,
) -> Result<[f32; 4], String> {
    let pages = doc.get_pages();
    let page = *pages.get(&number).ok_or_else(|| {
        format!(
            "`{}` has {} pages, no page {number}",
            name.display(),
            pages.len()
        )
    })?;
    let bbox = page_box(doc, page)
        .ok_or_else(|| format!("page {number} of `{}` has no MediaBox", name.display()))?;
    let content = doc.get_page_content(page);
    let (inline, referenced) = doc
        .get_page_resources(page)
        .map_err(|e| format!("page {number} of `{}`: {e}", name.display()))?;
    let resources = inline
        .cloned()
        .or_else(|| {
            referenced
                .first()
                .and_then(|r| doc.get_dictionary(*r).ok())
                .cloned()
        })
        .unwrap_or_default();
    let mut refs = Refs {
        map: BTreeMap::new(),
        queue: VecDeque::new(),
        next,
    };
    let data = super::deflate(&content);
    {
        let mut form = pdf.form_xobject(id, &data);
        form.bbox(Rect::new(bbox[0], bbox[1], bbox[2], bbox[3]));
        form.filter(pdf_writer::Filter::FlateDecode);
        write(
            form.insert(Name(b"Resources")),
            &Object::Dictionary(resources),
            &mut refs,
        );
    }
    // Every object the resources reach, once each.
    while let Some((source, target)) = refs.queue.pop_front() {
        match doc.get_object(source) {
            Ok(Object::Stream(s)) => {
                let mut st = pdf.stream(target, &s.content);
                for (k, v) in s.dict.iter() {
                    if k.as_slice() != b"Length" {
                        write(st.insert(Name(k)), v, &mut refs);
                    }
                }
            }
            Ok(other) => write(pdf.indirect(target), other, &mut refs),
            Err(_) => {
                pdf.indirect(target).primitive(pdf_writer::Null);
            }
        }
    }
    Ok(bbox)
}

struct Refs<'a> {
    map: BTreeMap<ObjectId, Ref>,
    queue: VecDeque<(ObjectId, Ref)>,
    next: &'a mut i32,
}

impl Refs<'_> {
    fn get(&mut self, id: ObjectId) -> Ref {
        if let Some(r) = self.map.get(&id) {
            return *r;
        }
        let r = Ref::new(*self.next);
        *self.next += 1;
        self.map.insert(id, r);
        self.queue.push_back((id, r));
        r
    }
}

fn write(obj: Obj<'_>, o: &Object, refs: &mut Refs<'_>) {
    match o {
        Object::Null | Object::Stream(_) => obj.primitive(pdf_writer::Null),
        Object::Boolean(b) => obj.primitive(*b),
        Object::Integer(i) => {
            obj.primitive(i32::try_from(*i).unwrap_or(if *i < 0 { i32::MIN } else { i32::MAX }))
        }
        Object::Real(f) => obj.primitive(*f),
        Object::Name(n) => obj.primitive(Name(n)),
        Object::String(s, _) => obj.primitive(Str(s)),
        Object::Reference(id) => obj.primitive(refs.get(*id)),
        Object::Array(items) => {
            let mut arr = obj.array();
            for x in items {
                write(arr.push(), x, refs);
            }
        }
        Object::Dictionary(d) => {
            let mut dict = obj.dict();
            for (k, v) in d.iter() {
                write(dict.insert(Name(k)), v, refs);
            }
        }
    }
}
