from django import forms

from selection.models.datasets import Split


class DatasetUploadForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="A short unique name, e.g. coedit-train.")
    file = forms.FileField(help_text="JSONL or CSV in CoEDIT's format (_id, task, src, tgt) or with id, src, refs.")
    split = forms.ChoiceField(choices=Split.choices, initial=Split.TRAIN,
                              help_text="Used for rows without their own `split` field.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    skip_invalid = forms.BooleanField(
        required=False, label="Skip unscoreable rows",
        help_text="Leave out well-formed rows that cannot be scored (e.g. a blank reference) and list them, "
                  "instead of refusing the file.")
